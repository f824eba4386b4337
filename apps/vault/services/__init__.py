"""Every write of the vault, one module per action family; callers import from here.

- customers.py      customer_create / customer_update / customer_delete
- create.py         payment_method_create_card / _from_token / _provider_token / _sepa_debit / _us_bank_account / _wallet
- lifecycle.py      payment_method_attach / _detach / _update / _delete
- tokens.py         token_create, token_purge_expired
- verification.py   payment_method_verify (micro-deposits, the card's zero-amount authorization)
- detokenize.py     vault_detokenize, vault_detokenize_audit, CardData
- cvc.py            the CVC hold: kept sealed for the first authorization, vault_cvc_release, the sweeper
- records.py        the encrypted VaultRecord: store, read, vault_record_rotate (key rotation)

Rules kept throughout: validation happens before any transaction opens, so a refused input
stores nothing; the audit entry and the outbox event are written in the same transaction as the
change; provider calls happen with no transaction or row lock held.
"""

from .create import payment_method_create_card as payment_method_create_card
from .create import payment_method_create_from_token as payment_method_create_from_token
from .create import payment_method_create_provider_token as payment_method_create_provider_token
from .create import payment_method_create_sepa_debit as payment_method_create_sepa_debit
from .create import payment_method_create_test_card as payment_method_create_test_card
from .create import payment_method_create_us_bank_account as payment_method_create_us_bank_account
from .create import payment_method_create_wallet as payment_method_create_wallet
from .customers import customer_create as customer_create
from .customers import customer_delete as customer_delete
from .customers import customer_update as customer_update
from .cvc import cvc_hold_purge_expired as cvc_hold_purge_expired
from .cvc import vault_cvc_release as vault_cvc_release
from .detokenize import CardData as CardData
from .detokenize import vault_detokenize as vault_detokenize
from .detokenize import vault_detokenize_audit as vault_detokenize_audit
from .lifecycle import payment_method_attach as payment_method_attach
from .lifecycle import payment_method_delete as payment_method_delete
from .lifecycle import payment_method_detach as payment_method_detach
from .lifecycle import payment_method_update as payment_method_update
from .records import vault_record_rotate as vault_record_rotate
from .tokens import token_create as token_create
from .tokens import token_purge_expired as token_purge_expired
from .verification import payment_method_verify as payment_method_verify
from .verification import payment_method_verify_card as payment_method_verify_card
from .verification import payment_method_verify_microdeposits as payment_method_verify_microdeposits

__all__ = [
    "CardData",
    "customer_create",
    "customer_delete",
    "customer_update",
    "cvc_hold_purge_expired",
    "payment_method_attach",
    "payment_method_create_card",
    "payment_method_create_from_token",
    "payment_method_create_provider_token",
    "payment_method_create_sepa_debit",
    "payment_method_create_test_card",
    "payment_method_create_us_bank_account",
    "payment_method_create_wallet",
    "payment_method_delete",
    "payment_method_detach",
    "payment_method_update",
    "payment_method_verify",
    "payment_method_verify_card",
    "payment_method_verify_microdeposits",
    "token_create",
    "token_purge_expired",
    "vault_cvc_release",
    "vault_detokenize",
    "vault_detokenize_audit",
    "vault_record_rotate",
]
