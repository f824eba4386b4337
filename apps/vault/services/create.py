"""Creating payment methods: card (number or token), sepa_debit, us_bank_account, wallets.

Each type validates its own input before any transaction opens, so a refused input stores
nothing (cards answer 402 card_error, bank accounts 400). Then every type takes the one path
`_payment_method_create`: ownership and consent checks, the type's columns (vaulting the
number, or consuming the token), the row, its audit entry and event, all in one transaction.
The CVC is checked, then held encrypted for the card's first authorization only (services/cvc.py). Transactions are plain `atomic()` (not durable): other apps
create cards from inside their own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors.sandbox.cards import card_for_test_id
from apps.core.errors import NotFoundError
from apps.vault import banks, cards
from apps.vault.errors import ParameterInvalid, ParameterMissing, TokenAlreadyUsed, TokenExpired
from apps.vault.models import Customer, PaymentMethod, Token, VaultRecord
from apps.vault.payloads import payment_method_to_dict
from apps.vault.provider_tokens import provider_token_validate
from apps.webhooks.services import event_record

from .common import CARD_COLUMNS, CONSENTED, card_columns, consent_check, customer_check
from .cvc import cvc_hold_store
from .records import vault_fingerprint, vault_record_store


class PaymentMethodOptions(TypedDict, total=False):
    """What every type of payment method takes besides its own fields."""

    billing_details: dict | None
    customer: Customer | None
    metadata: dict | None
    nickname: str
    allow_redisplay: str | None


def _payment_method_create(
    type: str,
    columns: Callable[[], dict],
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    billing_details: dict | None = None,
    customer: Customer | None = None,
    metadata: dict | None = None,
    nickname: str = "",
    allow_redisplay: str | None = None,
) -> PaymentMethod:
    """The one creation path. `columns()` runs inside the transaction and gives the type's own
    columns (it may store the encrypted record or consume a token; a key it gives wins)."""
    customer_check(customer, merchant=merchant, livemode=livemode)
    consent_check(allow_redisplay, customer=customer)
    with transaction.atomic():
        pm = PaymentMethod(
            **{
                "merchant": merchant,
                "livemode": livemode,
                "type": type,
                "billing_details": billing_details or {},
                "metadata": metadata or {},
                "nickname": nickname or "",
                **columns(),
            }
        )
        if allow_redisplay:
            pm.allow_redisplay = allow_redisplay
            if allow_redisplay in CONSENTED:
                pm.consent_collected_at = timezone.now()
        pm.customer = customer
        pm.save()
        data = payment_method_to_dict(pm)
        audit_record(
            actor=actor,
            action="payment_method.created",
            merchant=pm.merchant,
            obj=pm,
            after={k: v for k, v in data.items() if k not in ("billing_details",)},
        )
        if customer is not None:
            event_record(
                merchant=pm.merchant, livemode=pm.livemode, type="payment_method.attached", data=data
            )
    return pm


def payment_method_create_card(
    *,
    merchant,
    livemode: bool,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str | None,
    actor: Actor,
    **options: Unpack[PaymentMethodOptions],
) -> PaymentMethod:
    """Server-side tokenization. Validates (→ 402 CardError with Stripe's code and param), encrypts
    the number into a VaultRecord; the CVC is only held, sealed, for the first authorization
    (``cvc_hold_store``). Saving to a `customer` needs consent
    (`allow_redisplay` always|limited)."""
    card = cards.validate_card(number, exp_month, exp_year, cvc)

    def columns() -> dict:
        record = vault_record_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.CARD, secret={"number": card.number}
        )
        cvc_hold_store(record=record, cvc=cvc, livemode=livemode)
        return {**card_columns(card, merchant=merchant), "vault_record": record}

    return _payment_method_create(
        PaymentMethod.Type.CARD, columns, merchant=merchant, livemode=livemode, actor=actor, **options
    )


def payment_method_create_provider_token(
    *,
    merchant,
    livemode: bool,
    provider: str,
    fields: dict,
    actor: Actor,
    param: str = "card",
    **options: Unpack[PaymentMethodOptions],
) -> PaymentMethod:
    """A card a provider's browser SDK tokenized (a Square ``cnon:`` token, a Verifone.js encrypted
    card: ``apps.vault.provider_tokens``). The token is validated (400 naming
    ``param[provider][field]``), then encrypted into the card's VaultRecord as a card number would
    be; no column, metadata, event or log ever holds it. The card's display facts are unknown to
    Clearhouse (the provider keeps them), so brand and last4 are empty (routing then does not
    filter on the network; the gateway sends the token to that provider's accounts only)."""
    token = provider_token_validate(provider, fields, param=f"{param}[{provider}]")

    def columns() -> dict:
        record = vault_record_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.CARD, secret={"provider_token": token}
        )
        return {"vault_record": record, "card_token_provider": provider}

    return _payment_method_create(
        PaymentMethod.Type.CARD, columns, merchant=merchant, livemode=livemode, actor=actor, **options
    )


def _token_consume(*, merchant, livemode: bool, token: str, param: str) -> Token:
    """The token locked and marked used (inside the creation's transaction)."""
    token_row = (
        Token.objects.select_for_update()
        .filter(merchant=merchant, livemode=livemode, public_id=token)
        .first()
    )
    if token_row is None:
        raise NotFoundError("token", token, param=param)
    if token_row.used_at is not None:
        raise TokenAlreadyUsed(token=token, param=param)
    if token_row.expires_at <= timezone.now():
        raise TokenExpired(token=token, param=param)
    token_row.used_at = timezone.now()
    token_row.save(update_fields=["used_at", "updated_at"])
    return token_row


def payment_method_create_from_token(
    *,
    merchant,
    livemode: bool,
    token: str,
    actor: Actor,
    param: str = "token",
    **options: Unpack[PaymentMethodOptions],
) -> PaymentMethod:
    """Turns a single-use card token into a payment method (the vault record moves over). In
    test mode a Stripe test token (`tok_visa`, …) makes a fresh card from the sandbox table."""
    if not livemode and card_for_test_id(token) is not None:
        return payment_method_create_test_card(
            merchant=merchant, livemode=livemode, test_id=token, actor=actor, param=param, **options
        )

    wallet = (
        Token.objects.filter(merchant=merchant, livemode=livemode, public_id=token)
        .values_list("tokenization_method", flat=True)
        .first()
    )
    if wallet:
        return _wallet_from_token(
            merchant=merchant,
            livemode=livemode,
            token=token,
            wallet=wallet,
            actor=actor,
            param=param,
            **options,
        )

    def columns() -> dict:
        token_row = _token_consume(merchant=merchant, livemode=livemode, token=token, param=param)
        details = dict(token_row.billing_details or {})
        details.update(options.get("billing_details") or {})
        return {
            **{name: getattr(token_row, name) for name in CARD_COLUMNS},
            "billing_details": details,
            "vault_record_id": token_row.vault_record_id,
        }

    return _payment_method_create(
        PaymentMethod.Type.CARD, columns, merchant=merchant, livemode=livemode, actor=actor, **options
    )


def _wallet_from_token(
    *, merchant, livemode: bool, token: str, wallet: str, actor: Actor, param: str, **options
) -> PaymentMethod:
    """A device wallet's token (Stripe's card.tokenization_method) becomes a payment method of
    that wallet type, carrying the device's network token (here derived from the token's id,
    never the card number) and the card's brand and last 4, as the wallet reveals them."""
    with transaction.atomic():
        row = _token_consume(merchant=merchant, livemode=livemode, token=token, param=param)
        return payment_method_create_wallet(
            merchant=merchant, livemode=livemode, type=wallet, token=f"sbxwt_{row.public_id.removeprefix('tok_')}",
            actor=actor, card_brand=row.card_brand, dynamic_last4=row.card_last4, **options,
        )  # fmt: skip


def payment_method_create_test_card(
    *,
    merchant,
    livemode: bool,
    test_id: str,
    actor: Actor,
    param: str = "payment_method",
    **options: Unpack[PaymentMethodOptions],
) -> PaymentMethod:
    """A new card payment method for a Stripe test id (`pm_card_visa`, `tok_chargeDeclined`, …),
    as Stripe's test mode makes one on each use. Live mode knows no such ids (404)."""
    card = card_for_test_id(test_id)
    if livemode or card is None:
        raise NotFoundError("payment_method" if test_id.startswith("pm_") else "token", test_id, param=param)
    return payment_method_create_card(
        merchant=merchant,
        livemode=livemode,
        number=card.number,
        exp_month=12,
        exp_year=timezone.now().year + 5,
        cvc=None,
        actor=actor,
        **options,
    )


def payment_method_create_sepa_debit(
    *, merchant, livemode: bool, iban: str, actor: Actor, **options: Unpack[PaymentMethodOptions]
) -> PaymentMethod:
    valid = banks.validate_iban(iban)

    def columns() -> dict:
        record = vault_record_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.IBAN, secret={"iban": valid.iban}
        )
        return {
            "bank_last4": valid.last4,
            "bank_country": valid.country,
            "bank_code": valid.bank_code,
            "fingerprint": vault_fingerprint(merchant, "iban", valid.iban),
            "vault_record": record,
        }

    return _payment_method_create(
        PaymentMethod.Type.SEPA_DEBIT, columns, merchant=merchant, livemode=livemode, actor=actor, **options
    )


def payment_method_create_us_bank_account(
    *,
    merchant,
    livemode: bool,
    routing_number: str,
    account_number: str,
    actor: Actor,
    account_type: str = "checking",
    account_holder_type: str = "individual",
    **options: Unpack[PaymentMethodOptions],
) -> PaymentMethod:
    valid = banks.validate_us_bank_account(
        routing_number=routing_number,
        account_number=account_number,
        account_type=account_type,
        account_holder_type=account_holder_type,
    )
    secret = {"routing_number": valid.routing_number, "account_number": valid.account_number}

    def columns() -> dict:
        record = vault_record_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.US_BANK_ACCOUNT, secret=secret
        )
        return {
            "bank_last4": valid.last4,
            "bank_country": "US",
            "bank_routing_number": valid.routing_number,
            "bank_account_type": valid.account_type,
            "bank_account_holder_type": valid.account_holder_type,
            "fingerprint": vault_fingerprint(
                merchant, "us_bank_account", f"{valid.routing_number}/{valid.account_number}"
            ),
            "vault_record": record,
        }

    return _payment_method_create(
        PaymentMethod.Type.US_BANK_ACCOUNT,
        columns,
        merchant=merchant,
        livemode=livemode,
        actor=actor,
        **options,
    )


def _wallet_token_check(type: str, token: str) -> str:
    if type not in PaymentMethod.WALLET_TYPES:
        raise ParameterInvalid(f"{type} is not a wallet type.", param="type")
    token = (token or "").strip()
    if not token:
        raise ParameterMissing("The wallet token is required.", param=f"{type}[token]")
    if cards.contains_card_number(token):
        # A raw card number must go through card tokenization, never sit in a wallet token column.
        raise ParameterInvalid(
            "The wallet token looks like a card number; send cards as type=card.", param=f"{type}[token]"
        )
    return token


def payment_method_create_wallet(
    *,
    merchant,
    livemode: bool,
    type: str,
    token: str,
    actor: Actor,
    card_brand: str = "",
    dynamic_last4: str = "",
    payer_email: str = "",
    **options: Unpack[PaymentMethodOptions],
) -> PaymentMethod:
    """apple_pay / google_pay / paypal: we keep the provider's token (never a card number)."""
    token = _wallet_token_check(type, token)

    def columns() -> dict:
        return {
            "card_brand": card_brand or "",
            "card_last4": dynamic_last4 or "",
            "wallet_token": token,
            "wallet_payer_email": (payer_email or "").lower(),
            "fingerprint": vault_fingerprint(merchant, type, token),
        }

    return _payment_method_create(type, columns, merchant=merchant, livemode=livemode, actor=actor, **options)
