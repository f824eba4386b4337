"""Reading a number back: for connector adapters only, right before a provider call, audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from apps.audit.services import Actor, audit_entry_build
from apps.core.sql import insert_now_or_later
from apps.vault.errors import PaymentMethodDeleted, PaymentMethodNotVaulted
from apps.vault.models import PaymentMethod, VaultRecord

from .cvc import cvc_hold_read
from .records import vault_record_read


@dataclass(frozen=True)
class CardData:
    """Detokenized data, held in memory for one provider call. Its repr never shows the numbers."""

    number: str = field(default="", repr=False)
    # The CVC given at tokenization, for the card's first authorization only (services/cvc.py):
    # "" once that authorization has an outcome, on a saved card's later use, or when none was given.
    cvc: str = field(default="", repr=False)
    exp_month: int | None = None
    exp_year: int | None = None
    brand: str = ""
    iban: str = field(default="", repr=False)
    routing_number: str = ""
    account_number: str = field(default="", repr=False)
    # A card a provider's browser SDK tokenized ({"provider": "square", "source_id": "cnon:…"}:
    # apps.vault.provider_tokens): there is no number, only what that provider takes instead.
    provider_token: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def last4(self) -> str:
        return (self.number or self.iban or self.account_number)[-4:]


def _check_purpose(purpose: str) -> None:
    if not purpose or not isinstance(purpose, str):
        raise ValueError("vault_detokenize needs a purpose")


def _audit_detokenize(
    *, payment_method: PaymentMethod, purpose: str, actor: Actor, record: VaultRecord | None
) -> None:
    # On create+confirm's one-statement path (apps.core.sql.collecting) the entry joins the
    # attempt's statement, committed with it before the number is read; elsewhere it is written now.
    entry = audit_entry_build(
        actor=actor,
        action="vault.detokenize",
        merchant=payment_method.merchant,
        obj=payment_method,
        after={
            "purpose": purpose,
            "vault_record": record.public_id if record is not None else None,
            "kind": record.kind if record is not None else None,
        },
    )
    insert_now_or_later(entry)


def vault_detokenize_audit(*, payment_method: PaymentMethod, purpose: str, actor: Actor) -> None:
    """Writes the detokenization's audit entry ahead of the read, in the caller's transaction
    (the payment path writes it with the attempt it authorizes, before that commits); the read
    then passes `audited=True`. Same entry as `vault_detokenize` writes itself."""
    _check_purpose(purpose)
    record = payment_method._state.fields_cache.get("vault_record")
    if record is None and payment_method.vault_record_id is not None:
        record = VaultRecord.objects.only("public_id", "kind").get(pk=payment_method.vault_record_id)
    _audit_detokenize(payment_method=payment_method, purpose=purpose, actor=actor, record=record)


def vault_detokenize(
    *,
    payment_method: PaymentMethod,
    purpose: str,
    actor: Actor,
    audited: bool = False,
    with_cvc: bool = True,
) -> CardData:
    """The only way to read a number back. For connector adapters, right before a provider call.

    Writes an audit entry (who, which payment method, why) unless the caller already wrote it
    with `vault_detokenize_audit`; a deleted payment method is refused. The card's held CVC comes
    too while it is held (until its first authorization has an outcome: `vault_cvc_release`);
    ``with_cvc=False`` leaves it (card verification: the sandbox acquirer, not the payment's).
    """
    _check_purpose(purpose)
    if payment_method.deleted_at is not None:
        raise PaymentMethodDeleted(payment_method=payment_method.public_id)
    if payment_method.vault_record_id is None:
        raise PaymentMethodNotVaulted(payment_method_type=payment_method.type)
    record = payment_method._state.fields_cache.get("vault_record")  # payment_method_get joins it
    if record is not None and record.merchant_id == payment_method.merchant_id:
        record.merchant = payment_method.merchant
    else:
        record = VaultRecord.objects.select_related("merchant", "cvc_hold").get(
            pk=payment_method.vault_record_id
        )
        payment_method.vault_record = record  # the release after the provider call knows the hold
    secret = vault_record_read(record)
    if not audited:
        # One INSERT: in autocommit it is its own transaction (no BEGIN/COMMIT round trips).
        _audit_detokenize(payment_method=payment_method, purpose=purpose, actor=actor, record=record)
    return CardData(
        number=secret.get("number", ""),
        cvc=cvc_hold_read(record) if with_cvc and record.kind == VaultRecord.Kind.CARD else "",
        exp_month=payment_method.card_exp_month,
        exp_year=payment_method.card_exp_year,
        brand=payment_method.card_brand,
        iban=secret.get("iban", ""),
        routing_number=secret.get("routing_number", ""),
        account_number=secret.get("account_number", ""),
        provider_token=dict(secret.get("provider_token") or {}),
    )
