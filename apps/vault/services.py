"""Every write of the vault: customers, payment methods, tokens, verification, detokenization.

Rules kept here:
- A card or bank number is validated, then encrypted at once into a `VaultRecord`; only display
  facts and a keyed fingerprint reach `PaymentMethod`/`Token`. The CVC is checked and dropped.
- Validation happens before any transaction opens, so a refused input stores nothing.
- Audit entry and outbox event are written in the same transaction as the change.
- Transactions are plain `atomic()` (not durable) where other apps may call us from inside their
  own transaction (`payment_method_create_card`, `payment_method_attach`, `vault_detokenize`).
- Provider calls (zero-amount verification) happen with no transaction or row lock held.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import PaymentRequest
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.ids import generate_id
from apps.vault import banks, cards, crypto
from apps.vault.errors import (
    CardVerificationDeclined,
    CardVerificationNeedsAuthentication,
    CardVerificationUnavailable,
    ConsentKept,
    ConsentRequired,
    MicrodepositAmountsInvalid,
    MicrodepositAmountsMismatch,
    MicrodepositAttemptsExceeded,
    MicrodepositsNotSent,
    ParameterInvalid,
    ParameterMissing,
    ParameterUnknown,
    PaymentMethodAlreadyAttached,
    PaymentMethodDefaultNeedsCustomer,
    PaymentMethodDeleted,
    PaymentMethodNotAttached,
    PaymentMethodNotVaulted,
    PaymentMethodVerifiedByWallet,
    TokenAlreadyUsed,
    TokenExpired,
)
from apps.vault.models import Customer, MicroDepositVerification, PaymentMethod, Token, VaultRecord
from apps.vault.payloads import customer_to_dict, payment_method_to_dict
from apps.webhooks.services import event_record

logger = logging.getLogger(__name__)

__all__ = [
    "CardData",
    "customer_create",
    "customer_delete",
    "customer_update",
    "payment_method_attach",
    "payment_method_create_card",
    "payment_method_create_from_token",
    "payment_method_create_sepa_debit",
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
    "vault_detokenize",
    "vault_record_rotate",
]

CONSENTED = (PaymentMethod.AllowRedisplay.ALWAYS, PaymentMethod.AllowRedisplay.LIMITED)
TEST_MODE_MICRODEPOSITS = (32, 45)  # as Stripe: fixed amounts in test mode


# --- plaintext handed to connector adapters ------------------------------------------------------


@dataclass(frozen=True)
class CardData:
    """Detokenized data, held in memory for one provider call. Its repr never shows the numbers."""

    number: str = field(default="", repr=False)
    exp_month: int | None = None
    exp_year: int | None = None
    brand: str = ""
    iban: str = field(default="", repr=False)
    routing_number: str = ""
    account_number: str = field(default="", repr=False)

    @property
    def last4(self) -> str:
        return (self.number or self.iban or self.account_number)[-4:]


# --- vault records -------------------------------------------------------------------------------


def _aad(*, merchant_public_id: str, record_public_id: str, kind: str) -> bytes:
    return f"clearhouse.vault.v1|{merchant_public_id}|{record_public_id}|{kind}".encode()


def _record_aad(record: VaultRecord) -> bytes:
    return _aad(
        merchant_public_id=record.merchant.public_id, record_public_id=record.public_id, kind=record.kind
    )


def _vault_store(*, merchant, livemode: bool, kind: str, secret: dict) -> VaultRecord:
    record = VaultRecord(
        merchant=merchant, livemode=livemode, kind=kind, public_id=generate_id(VaultRecord.ID_PREFIX)
    )
    envelope = crypto.encrypt(
        json.dumps(secret, separators=(",", ":")).encode(),
        aad=_aad(merchant_public_id=merchant.public_id, record_public_id=record.public_id, kind=kind),
    )
    record.kek_version = envelope.kek_version
    record.wrapped_key = envelope.wrapped_key
    record.nonce = envelope.nonce
    record.ciphertext = envelope.ciphertext
    record.save()
    return record


def _envelope(record: VaultRecord) -> crypto.Envelope:
    return crypto.Envelope(
        kek_version=record.kek_version,
        wrapped_key=bytes(record.wrapped_key),
        nonce=bytes(record.nonce),
        ciphertext=bytes(record.ciphertext),
    )


def _vault_read(record: VaultRecord) -> dict:
    return json.loads(crypto.decrypt(_envelope(record), aad=_record_aad(record)))


def vault_record_rotate(*, record: VaultRecord, to_version: str | None = None) -> bool:
    """Re-wrap one record's data key under `to_version` (default: the active key). The caller
    holds the row lock. Returns False when the record already uses that version."""
    envelope = _envelope(record)
    rotated = crypto.rewrap(envelope, to_version=to_version)
    if rotated is envelope:
        return False
    record.kek_version = rotated.kek_version
    record.wrapped_key = rotated.wrapped_key
    record.rotated_at = timezone.now()
    return True


def _fingerprint(merchant, kind: str, value: str) -> str:
    return crypto.fingerprint(f"{kind}:{value}", merchant_id=merchant.public_id)


# --- detokenization (connector adapters only) ----------------------------------------------------


def vault_detokenize_audit(*, payment_method: PaymentMethod, purpose: str, actor: Actor) -> None:
    """Writes the detokenization's audit entry ahead of the read, in the caller's transaction
    (the payment path writes it with the attempt it authorizes, before that commits); the read
    then passes `audited=True`. Same entry as `vault_detokenize` writes itself."""
    if not purpose or not isinstance(purpose, str):
        raise ValueError("vault_detokenize needs a purpose")
    record = payment_method._state.fields_cache.get("vault_record")
    if record is None and payment_method.vault_record_id is not None:
        record = VaultRecord.objects.only("public_id", "kind").get(pk=payment_method.vault_record_id)
    audit_record(
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


def vault_detokenize(
    *, payment_method: PaymentMethod, purpose: str, actor: Actor, audited: bool = False
) -> CardData:
    """The only way to read a number back. For connector adapters, right before a provider call.

    Writes an audit entry (who, which payment method, why) unless the caller already wrote it
    with `vault_detokenize_audit`; a deleted payment method is refused.
    """
    if not purpose or not isinstance(purpose, str):
        raise ValueError("vault_detokenize needs a purpose")
    if payment_method.deleted_at is not None:
        raise PaymentMethodDeleted(payment_method=payment_method.public_id)
    if payment_method.vault_record_id is None:
        raise PaymentMethodNotVaulted(payment_method_type=payment_method.type)
    record = payment_method._state.fields_cache.get("vault_record")  # payment_method_get joins it
    if record is not None and record.merchant_id == payment_method.merchant_id:
        record.merchant = payment_method.merchant
    else:
        record = VaultRecord.objects.select_related("merchant").get(pk=payment_method.vault_record_id)
    secret = _vault_read(record)
    if not audited:
        # One INSERT: in autocommit it is its own transaction (no BEGIN/COMMIT round trips).
        audit_record(
            actor=actor,
            action="vault.detokenize",
            merchant=payment_method.merchant,
            obj=payment_method,
            after={"purpose": purpose, "vault_record": record.public_id, "kind": record.kind},
        )
    return CardData(
        number=secret.get("number", ""),
        exp_month=payment_method.card_exp_month,
        exp_year=payment_method.card_exp_year,
        brand=payment_method.card_brand,
        iban=secret.get("iban", ""),
        routing_number=secret.get("routing_number", ""),
        account_number=secret.get("account_number", ""),
    )


# --- customers -----------------------------------------------------------------------------------


def _clean_address(address: dict | None) -> dict | None:
    if not address:
        return None
    return {k: v for k, v in address.items() if v not in (None, "")} or None


def customer_create(
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    email: str = "",
    name: str = "",
    phone: str = "",
    description: str = "",
    address: dict | None = None,
    metadata: dict | None = None,
) -> Customer:
    with transaction.atomic():
        customer = Customer.objects.create(
            merchant=merchant,
            livemode=livemode,
            email=(email or "").strip().lower(),
            name=name or "",
            phone=phone or "",
            description=description or "",
            address=_clean_address(address),
            metadata=metadata or {},
        )
        data = customer_to_dict(customer)
        audit_record(actor=actor, action="customer.created", merchant=merchant, obj=customer, after=data)
        event_record(merchant=merchant, livemode=livemode, type="customer.created", data=data)
    return customer


_CUSTOMER_FIELDS = ("email", "name", "phone", "description", "address", "metadata")


def customer_update(*, customer: Customer, actor: Actor, changes: dict) -> Customer:
    unknown = set(changes) - set(_CUSTOMER_FIELDS)
    if unknown:
        raise ParameterUnknown(f"Unknown field {sorted(unknown)[0]}.")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.deleted_at is not None:
            raise NotFoundError("customer", customer.public_id, param="id")
        before = customer_to_dict(customer)
        previous: dict = {}
        for key, value in changes.items():
            if key == "email":
                value = (value or "").strip().lower()
            elif key == "address":
                value = _clean_address(value)
            elif key == "metadata":
                merged = dict(customer.metadata or {})
                for mkey, mvalue in (value or {}).items():
                    if mvalue == "":
                        merged.pop(mkey, None)
                    else:
                        merged[mkey] = mvalue
                value = merged if value else {}
            elif value is None:
                value = ""
            if getattr(customer, key) != value:
                previous[key] = before.get(key)
                setattr(customer, key, value)
        if previous:
            customer.save()
            data = customer_to_dict(customer)
            audit_record(
                actor=actor,
                action="customer.updated",
                merchant=customer.merchant,
                obj=customer,
                before=before,
                after=data,
            )
            event_record(
                merchant=customer.merchant,
                livemode=customer.livemode,
                type="customer.updated",
                data=data,
                previous_attributes=previous,
            )
    return customer


def customer_delete(*, customer: Customer, actor: Actor, reason: str = "") -> Customer:
    """Soft delete: the customer disappears from the API, its payment methods are detached."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.deleted_at is not None:
            raise NotFoundError("customer", customer.public_id, param="id")
        before = customer_to_dict(customer)
        methods = list(
            PaymentMethod.objects.select_for_update()
            .filter(customer=customer, deleted_at__isnull=True)
            .order_by("pk")
        )
        for pm in methods:
            _detach_locked(pm, actor=actor, reason="customer deleted")
        customer.deleted_at = timezone.now()
        customer.deleted_reason = reason or ""
        customer.save(update_fields=["deleted_at", "deleted_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="customer.deleted",
            merchant=customer.merchant,
            obj=customer,
            before=before,
            reason=reason,
        )
        event_record(
            merchant=customer.merchant, livemode=customer.livemode, type="customer.deleted", data=before
        )
    return customer


# --- payment methods: creation --------------------------------------------------------------------


def _check_customer(customer: Customer | None, *, merchant, livemode: bool) -> None:
    if customer is None:
        return
    if (
        customer.merchant_id != merchant.pk
        or customer.livemode != livemode
        or customer.deleted_at is not None
    ):
        raise NotFoundError("customer", customer.public_id, param="customer")


def _check_consent(allow_redisplay: str | None, *, customer: Customer | None) -> None:
    if customer is not None and allow_redisplay not in CONSENTED:
        raise ConsentRequired()


def _finish_create(
    pm: PaymentMethod, *, actor: Actor, customer: Customer | None, allow_redisplay: str | None
) -> PaymentMethod:
    """Common tail of every creation: consent, save, audit, events (inside the caller's atomic)."""
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
        event_record(merchant=pm.merchant, livemode=pm.livemode, type="payment_method.attached", data=data)
    return pm


def payment_method_create_card(
    *,
    merchant,
    livemode: bool,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str | None,
    billing_details: dict | None = None,
    customer: Customer | None = None,
    actor: Actor,
    metadata: dict | None = None,
    nickname: str = "",
    allow_redisplay: str | None = None,
) -> PaymentMethod:
    """Server-side tokenization. Validates (→ 402 CardError with Stripe's code and param), encrypts
    the number into a VaultRecord, never stores the CVC. Saving to a `customer` needs consent
    (`allow_redisplay` always|limited)."""
    card = cards.validate_card(number, exp_month, exp_year, cvc)
    _check_customer(customer, merchant=merchant, livemode=livemode)
    _check_consent(allow_redisplay, customer=customer)
    with transaction.atomic():
        record = _vault_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.CARD, secret={"number": card.number}
        )
        pm = PaymentMethod(
            merchant=merchant,
            livemode=livemode,
            type=PaymentMethod.Type.CARD,
            billing_details=billing_details or {},
            metadata=metadata or {},
            nickname=nickname or "",
            card_brand=card.brand,
            card_last4=card.last4,
            card_exp_month=card.exp_month,
            card_exp_year=card.exp_year,
            card_funding=card.funding,
            card_country=card.country or "",
            fingerprint=_fingerprint(merchant, "card", card.number),
            vault_record=record,
        )
        return _finish_create(pm, actor=actor, customer=customer, allow_redisplay=allow_redisplay)


def token_create(
    *,
    merchant,
    livemode: bool,
    number: str,
    exp_month,
    exp_year,
    cvc: str | None,
    actor: Actor,
    billing_details: dict | None = None,
    client_ip: str | None = None,
) -> Token:
    """Client-side tokenization (publishable key): a single-use `tok_…` valid for Token.TTL_SECONDS."""
    card = cards.validate_card(number, exp_month, exp_year, cvc)
    with transaction.atomic():
        record = _vault_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.CARD, secret={"number": card.number}
        )
        token = Token.objects.create(
            merchant=merchant,
            livemode=livemode,
            vault_record=record,
            card_brand=card.brand,
            card_last4=card.last4,
            card_exp_month=card.exp_month,
            card_exp_year=card.exp_year,
            card_funding=card.funding,
            card_country=card.country or "",
            fingerprint=_fingerprint(merchant, "card", card.number),
            billing_details=billing_details or {},
            client_ip=client_ip or None,
            expires_at=timezone.now() + timedelta(seconds=Token.TTL_SECONDS),
        )
        audit_record(
            actor=actor,
            action="token.created",
            merchant=merchant,
            obj=token,
            after={"brand": card.brand, "last4": card.last4},
        )
    return token


def token_purge_expired(*, grace_seconds: int = 3600, batch_size: int = 500) -> int:
    """Delete unused tokens expired for more than `grace_seconds`, with their vault records (a used
    token's record belongs to its payment method and stays). Idempotent; returns the count."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Token.objects.select_for_update(skip_locked=True)
                .filter(used_at__isnull=True, expires_at__lt=cutoff)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return purged
            record_ids = [t.vault_record_id for t in batch]
            Token.objects.filter(pk__in=[t.pk for t in batch]).delete()
            VaultRecord.objects.filter(
                pk__in=record_ids, payment_method__isnull=True, tokens__isnull=True
            ).delete()
            purged += len(batch)


def payment_method_create_from_token(
    *,
    merchant,
    livemode: bool,
    token: str,
    actor: Actor,
    billing_details: dict | None = None,
    customer: Customer | None = None,
    metadata: dict | None = None,
    nickname: str = "",
    allow_redisplay: str | None = None,
    param: str = "token",
) -> PaymentMethod:
    """Turns a single-use card token into a payment method (the vault record moves over)."""
    _check_customer(customer, merchant=merchant, livemode=livemode)
    _check_consent(allow_redisplay, customer=customer)
    with transaction.atomic():
        tok = (
            Token.objects.select_for_update()
            .filter(merchant=merchant, livemode=livemode, public_id=token)
            .first()
        )
        if tok is None:
            raise NotFoundError("token", token, param=param)
        if tok.used_at is not None:
            raise TokenAlreadyUsed(token=token, param=param)
        if tok.expires_at <= timezone.now():
            raise TokenExpired(token=token, param=param)
        tok.used_at = timezone.now()
        tok.save(update_fields=["used_at", "updated_at"])
        details = dict(tok.billing_details or {})
        details.update(billing_details or {})
        pm = PaymentMethod(
            merchant=merchant,
            livemode=livemode,
            type=PaymentMethod.Type.CARD,
            billing_details=details,
            metadata=metadata or {},
            nickname=nickname or "",
            card_brand=tok.card_brand,
            card_last4=tok.card_last4,
            card_exp_month=tok.card_exp_month,
            card_exp_year=tok.card_exp_year,
            card_funding=tok.card_funding,
            card_country=tok.card_country,
            fingerprint=tok.fingerprint,
            vault_record_id=tok.vault_record_id,
        )
        return _finish_create(pm, actor=actor, customer=customer, allow_redisplay=allow_redisplay)


def payment_method_create_sepa_debit(
    *,
    merchant,
    livemode: bool,
    iban: str,
    actor: Actor,
    billing_details: dict | None = None,
    customer: Customer | None = None,
    metadata: dict | None = None,
    nickname: str = "",
    allow_redisplay: str | None = None,
) -> PaymentMethod:
    valid = banks.validate_iban(iban)
    _check_customer(customer, merchant=merchant, livemode=livemode)
    _check_consent(allow_redisplay, customer=customer)
    with transaction.atomic():
        record = _vault_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.IBAN, secret={"iban": valid.iban}
        )
        pm = PaymentMethod(
            merchant=merchant,
            livemode=livemode,
            type=PaymentMethod.Type.SEPA_DEBIT,
            billing_details=billing_details or {},
            metadata=metadata or {},
            nickname=nickname or "",
            bank_last4=valid.last4,
            bank_country=valid.country,
            bank_code=valid.bank_code,
            fingerprint=_fingerprint(merchant, "iban", valid.iban),
            vault_record=record,
        )
        return _finish_create(pm, actor=actor, customer=customer, allow_redisplay=allow_redisplay)


def payment_method_create_us_bank_account(
    *,
    merchant,
    livemode: bool,
    routing_number: str,
    account_number: str,
    actor: Actor,
    account_type: str = "checking",
    account_holder_type: str = "individual",
    billing_details: dict | None = None,
    customer: Customer | None = None,
    metadata: dict | None = None,
    nickname: str = "",
    allow_redisplay: str | None = None,
) -> PaymentMethod:
    valid = banks.validate_us_bank_account(
        routing_number=routing_number,
        account_number=account_number,
        account_type=account_type,
        account_holder_type=account_holder_type,
    )
    _check_customer(customer, merchant=merchant, livemode=livemode)
    _check_consent(allow_redisplay, customer=customer)
    with transaction.atomic():
        record = _vault_store(
            merchant=merchant,
            livemode=livemode,
            kind=VaultRecord.Kind.US_BANK_ACCOUNT,
            secret={"routing_number": valid.routing_number, "account_number": valid.account_number},
        )
        pm = PaymentMethod(
            merchant=merchant,
            livemode=livemode,
            type=PaymentMethod.Type.US_BANK_ACCOUNT,
            billing_details=billing_details or {},
            metadata=metadata or {},
            nickname=nickname or "",
            bank_last4=valid.last4,
            bank_country="US",
            bank_routing_number=valid.routing_number,
            bank_account_type=valid.account_type,
            bank_account_holder_type=valid.account_holder_type,
            fingerprint=_fingerprint(
                merchant, "us_bank_account", f"{valid.routing_number}/{valid.account_number}"
            ),
            vault_record=record,
        )
        return _finish_create(pm, actor=actor, customer=customer, allow_redisplay=allow_redisplay)


_PAN_LIKE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def _contains_card_number(value: str) -> bool:
    for match in _PAN_LIKE.finditer(value):
        digits = re.sub(r"[ -]", "", match.group())
        if cards.luhn_valid(digits) and cards.detect_brand(digits):
            return True
    return False


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
    billing_details: dict | None = None,
    customer: Customer | None = None,
    metadata: dict | None = None,
    nickname: str = "",
    allow_redisplay: str | None = None,
) -> PaymentMethod:
    """apple_pay / google_pay / paypal: we keep the provider's token (never a card number)."""
    if type not in PaymentMethod.WALLET_TYPES:
        raise ParameterInvalid(f"{type} is not a wallet type.", param="type")
    token = (token or "").strip()
    if not token:
        raise ParameterMissing("The wallet token is required.", param=f"{type}[token]")
    if _contains_card_number(token):
        # A raw card number must go through card tokenization, never sit in a wallet token column.
        raise ParameterInvalid(
            "The wallet token looks like a card number; send cards as type=card.", param=f"{type}[token]"
        )
    _check_customer(customer, merchant=merchant, livemode=livemode)
    _check_consent(allow_redisplay, customer=customer)
    with transaction.atomic():
        pm = PaymentMethod(
            merchant=merchant,
            livemode=livemode,
            type=type,
            billing_details=billing_details or {},
            metadata=metadata or {},
            nickname=nickname or "",
            card_brand=card_brand or "",
            card_last4=dynamic_last4 or "",
            wallet_token=token,
            wallet_payer_email=(payer_email or "").lower(),
            fingerprint=_fingerprint(merchant, type, token),
        )
        return _finish_create(pm, actor=actor, customer=customer, allow_redisplay=allow_redisplay)


# --- payment methods: lifecycle -------------------------------------------------------------------


def _lock_pm(pm: PaymentMethod) -> PaymentMethod:
    locked = (
        PaymentMethod.objects.select_for_update(of=("self",))
        .select_related("customer", "merchant")
        .get(pk=pm.pk)
    )
    if locked.deleted_at is not None:
        raise NotFoundError("payment_method", locked.public_id, param="payment_method")
    return locked


def payment_method_attach(
    *, payment_method: PaymentMethod, customer: Customer, actor: Actor, allow_redisplay: str | None = None
) -> PaymentMethod:
    """Save a payment method to a customer (card on file). Needs consent, given now or before."""
    _check_customer(customer, merchant=payment_method.merchant, livemode=payment_method.livemode)
    with transaction.atomic():
        pm = _lock_pm(payment_method)
        if pm.customer_id == customer.pk:
            if allow_redisplay and allow_redisplay != pm.allow_redisplay:
                _check_consent(allow_redisplay, customer=customer)
                pm.allow_redisplay = allow_redisplay
                pm.consent_collected_at = timezone.now()
                pm.save(update_fields=["allow_redisplay", "consent_collected_at", "updated_at"])
            return pm
        if pm.customer_id is not None:
            raise PaymentMethodAlreadyAttached()
        effective = allow_redisplay or pm.allow_redisplay
        _check_consent(effective, customer=customer)
        if (allow_redisplay and allow_redisplay != pm.allow_redisplay) or pm.consent_collected_at is None:
            pm.allow_redisplay = effective
            pm.consent_collected_at = timezone.now()
        pm.customer = customer
        pm.save()
        data = payment_method_to_dict(pm)
        audit_record(
            actor=actor,
            action="payment_method.attached",
            merchant=pm.merchant,
            obj=pm,
            after={"customer": customer.public_id, "allow_redisplay": pm.allow_redisplay},
        )
        event_record(
            merchant=pm.merchant,
            livemode=pm.livemode,
            type="payment_method.attached",
            data=data,
            previous_attributes={"customer": None},
        )
    return pm


def _detach_locked(pm: PaymentMethod, *, actor: Actor, reason: str = "") -> None:
    previous_customer = pm.customer.public_id if pm.customer_id else None
    pm.customer = None
    pm.is_default = False
    pm.save(update_fields=["customer", "is_default", "updated_at"])
    audit_record(
        actor=actor,
        action="payment_method.detached",
        merchant=pm.merchant,
        obj=pm,
        before={"customer": previous_customer},
        after={"customer": None},
        reason=reason,
    )
    event_record(
        merchant=pm.merchant,
        livemode=pm.livemode,
        type="payment_method.detached",
        data=payment_method_to_dict(pm),
        previous_attributes={"customer": previous_customer},
    )


def payment_method_detach(*, payment_method: PaymentMethod, actor: Actor) -> PaymentMethod:
    with transaction.atomic():
        pm = _lock_pm(payment_method)
        if pm.customer_id is None:
            raise PaymentMethodNotAttached(payment_method=pm.public_id)
        _detach_locked(pm, actor=actor)
    return pm


def payment_method_update(
    *,
    payment_method: PaymentMethod,
    actor: Actor,
    billing_details: dict | None = None,
    metadata: dict | None = None,
    nickname: str | None = None,
    exp_month=None,
    exp_year=None,
    is_default: bool | None = None,
    allow_redisplay: str | None = None,
) -> PaymentMethod:
    if (exp_month is not None or exp_year is not None) and payment_method.type != PaymentMethod.Type.CARD:
        raise ParameterUnknown("Only card payment methods have an expiry date.", param="card")
    with transaction.atomic():
        pm = _lock_pm(payment_method)
        before = payment_method_to_dict(pm)
        previous: dict = {}
        if exp_month is not None or exp_year is not None:
            month, year = cards.validate_expiry(
                exp_month if exp_month is not None else pm.card_exp_month,
                exp_year if exp_year is not None else pm.card_exp_year,
            )
            if (month, year) != (pm.card_exp_month, pm.card_exp_year):
                previous["card"] = {"exp_month": pm.card_exp_month, "exp_year": pm.card_exp_year}
                pm.card_exp_month, pm.card_exp_year = month, year
        if billing_details is not None:
            merged = dict(pm.billing_details or {})
            merged.update(billing_details)
            if merged != pm.billing_details:
                previous["billing_details"] = before["billing_details"]
                pm.billing_details = merged
        if metadata is not None:
            merged = dict(pm.metadata or {})
            for key, value in metadata.items():
                if value == "":
                    merged.pop(key, None)
                else:
                    merged[key] = value
            if not metadata:
                merged = {}
            if merged != pm.metadata:
                previous["metadata"] = pm.metadata
                pm.metadata = merged
        if nickname is not None and nickname != pm.nickname:
            previous["nickname"] = pm.nickname or None
            pm.nickname = nickname
        if allow_redisplay is not None and allow_redisplay != pm.allow_redisplay:
            if pm.customer_id is not None and allow_redisplay not in CONSENTED:
                raise ConsentKept()
            previous["allow_redisplay"] = pm.allow_redisplay
            pm.allow_redisplay = allow_redisplay
            pm.consent_collected_at = timezone.now() if allow_redisplay in CONSENTED else None
        if is_default is not None and is_default != pm.is_default:
            if is_default and pm.customer_id is None:
                raise PaymentMethodDefaultNeedsCustomer()
            if is_default:
                # Lock the customer first so concurrent "make default" calls queue up in a stable order.
                Customer.objects.select_for_update().filter(pk=pm.customer_id).first()
                PaymentMethod.objects.filter(customer_id=pm.customer_id, is_default=True).exclude(
                    pk=pm.pk
                ).update(is_default=False, updated_at=timezone.now())
            previous["is_default"] = pm.is_default
            pm.is_default = is_default
        if previous:
            pm.save()
            data = payment_method_to_dict(pm)
            audit_record(
                actor=actor,
                action="payment_method.updated",
                merchant=pm.merchant,
                obj=pm,
                before={k: before.get(k) for k in previous},
                after={k: data.get(k) for k in previous},
            )
            event_record(
                merchant=pm.merchant,
                livemode=pm.livemode,
                type="payment_method.updated",
                data=data,
                previous_attributes=previous,
            )
    return pm


def payment_method_delete(*, payment_method: PaymentMethod, actor: Actor, reason: str = "") -> PaymentMethod:
    """Soft delete: kept for history and audit, gone from the API, refused for payment."""
    with transaction.atomic():
        pm = _lock_pm(payment_method)
        if pm.customer_id is not None:
            _detach_locked(pm, actor=actor, reason="payment method deleted")
        pm.deleted_at = timezone.now()
        pm.deleted_reason = reason or ""
        pm.is_default = False
        pm.save(update_fields=["deleted_at", "deleted_reason", "is_default", "updated_at"])
        audit_record(
            actor=actor,
            action="payment_method.deleted",
            merchant=pm.merchant,
            obj=pm,
            before={"deleted_at": None},
            after={"deleted_at": pm.deleted_at},
            reason=reason,
        )
        event_record(
            merchant=pm.merchant,
            livemode=pm.livemode,
            type="payment_method.deleted",
            data=payment_method_to_dict(pm),
        )
    return pm


# --- verification ---------------------------------------------------------------------------------


def payment_method_verify(*, payment_method: PaymentMethod, actor: Actor, amounts: list[int] | None = None):
    if payment_method.deleted_at is not None:
        raise NotFoundError("payment_method", payment_method.public_id, param="payment_method")
    if payment_method.type == PaymentMethod.Type.CARD:
        if amounts is not None:
            raise ParameterUnknown("amounts are for bank account micro-deposits only.", param="amounts")
        return payment_method_verify_card(payment_method=payment_method, actor=actor)
    if payment_method.type in PaymentMethod.BANK_TYPES:
        return payment_method_verify_microdeposits(
            payment_method=payment_method, actor=actor, amounts=amounts
        )
    raise PaymentMethodVerifiedByWallet(payment_method_type=payment_method.type)


def _microdeposit_amounts(livemode: bool) -> tuple[int, int]:
    if not livemode:
        return TEST_MODE_MICRODEPOSITS
    rng = random.SystemRandom()
    first = rng.randint(1, 99)
    second = rng.choice([n for n in range(1, 100) if n != first])
    return first, second


def payment_method_verify_microdeposits(
    *, payment_method: PaymentMethod, actor: Actor, amounts: list[int] | None = None
) -> PaymentMethod:
    """First call (no amounts) sends two micro-deposits; the next call checks the two amounts.
    Three wrong answers lock the verification for good."""
    failure: ApplicationError | None = None
    with transaction.atomic():
        pm = _lock_pm(payment_method)
        md = MicroDepositVerification.objects.select_for_update().filter(payment_method=pm).first()
        if pm.verification_status == PaymentMethod.VerificationStatus.VERIFIED:
            return pm
        if md is None:
            if amounts is not None:
                raise MicrodepositsNotSent()
            first, second = _microdeposit_amounts(pm.livemode)
            now = timezone.now()
            currency = "EUR" if pm.type == PaymentMethod.Type.SEPA_DEBIT else "USD"
            md = MicroDepositVerification.objects.create(
                payment_method=pm,
                amount_1=first,
                amount_2=second,
                currency=currency,
                sent_at=now,
                arrival_date=(now + timedelta(days=0 if not pm.livemode else 2)).date(),
            )
            pm.verification_status = PaymentMethod.VerificationStatus.PENDING
            pm.verification_detail = {"method": "microdeposits"}
            pm.save(update_fields=["verification_status", "verification_detail", "updated_at"])
            audit_record(
                actor=actor, action="payment_method.microdeposits_sent", merchant=pm.merchant, obj=pm
            )
            event_record(
                merchant=pm.merchant, livemode=pm.livemode, type="payment_method.updated",
                data=payment_method_to_dict(pm), previous_attributes={"verification": {"status": "unverified"}},
            )  # fmt: skip
            return pm
        if md.status == MicroDepositVerification.Status.LOCKED:
            raise MicrodepositAttemptsExceeded()
        if amounts is None:
            return pm  # deposits already sent; nothing more to do until the amounts arrive
        if len(amounts) != 2:
            raise MicrodepositAmountsInvalid()
        if sorted(amounts) == sorted([md.amount_1, md.amount_2]):
            md.status = MicroDepositVerification.Status.SUCCEEDED
            md.completed_at = timezone.now()
            md.attempts += 1
            md.save(update_fields=["status", "completed_at", "attempts", "updated_at"])
            pm.verification_status = PaymentMethod.VerificationStatus.VERIFIED
            pm.verified_at = md.completed_at
            pm.save(update_fields=["verification_status", "verified_at", "updated_at"])
            audit_record(actor=actor, action="payment_method.verified", merchant=pm.merchant, obj=pm,
                         after={"method": "microdeposits"})  # fmt: skip
            event_record(
                merchant=pm.merchant, livemode=pm.livemode, type="payment_method.updated",
                data=payment_method_to_dict(pm), previous_attributes={"verification": {"status": "pending"}},
            )  # fmt: skip
            return pm
        md.attempts += 1
        remaining = MicroDepositVerification.MAX_ATTEMPTS - md.attempts
        if remaining <= 0:
            md.status = MicroDepositVerification.Status.LOCKED
            md.completed_at = timezone.now()
            pm.verification_status = PaymentMethod.VerificationStatus.LOCKED
            pm.save(update_fields=["verification_status", "updated_at"])
            failure = MicrodepositAttemptsExceeded()
            audit_record(
                actor=actor, action="payment_method.verification_locked", merchant=pm.merchant, obj=pm
            )
            event_record(
                merchant=pm.merchant, livemode=pm.livemode, type="payment_method.updated",
                data=payment_method_to_dict(pm), previous_attributes={"verification": {"status": "pending"}},
            )  # fmt: skip
        else:
            failure = MicrodepositAmountsMismatch(remaining=remaining)
        md.save(update_fields=["attempts", "status", "completed_at", "updated_at"])
    # Raised after commit: the failed attempt must be counted, not rolled back.
    raise failure


def payment_method_verify_card(*, payment_method: PaymentMethod, actor: Actor) -> PaymentMethod:
    """Zero-amount authorization through the sandbox connector. No lock or transaction is held
    while the connector answers; the result is recorded afterwards under a fresh lock."""

    pm = payment_method
    card = vault_detokenize(payment_method=pm, purpose="card_verification", actor=actor)
    request = PaymentRequest(
        idempotency_key=generate_id("vfy"),
        amount=0,
        currency=pm.merchant.default_currency,
        payment_method_type="card",
        card=card,
        capture=False,
        three_ds="never",
        billing_details=pm.billing_details or None,
        description="card verification",
        reference=pm.public_id,
        merchant_reference=pm.merchant.public_id,
    )
    # The sandbox acquirer runs it (test mode and, until verification is routed, live mode too).
    result = gateway.verify(request=request)
    outcome = getattr(result, "outcome", "error")
    failure: ApplicationError | None = None
    with transaction.atomic():
        pm = _lock_pm(pm)
        previous_status = pm.verification_status
        detail = {
            "method": "zero_amount_authorization",
            "outcome": outcome,
            "gateway_reference": getattr(result, "gateway_reference", "") or "",
            "network_code": getattr(result, "network_code", "") or "",
            "cvc_check": getattr(result, "cvc_check", None),
            "address_line1_check": getattr(result, "address_line1_check", None),
            "address_postal_code_check": getattr(result, "address_postal_code_check", None),
        }
        if outcome == "approved":
            pm.verification_status = PaymentMethod.VerificationStatus.VERIFIED
            pm.verified_at = timezone.now()
        elif outcome == "declined":
            pm.verification_status = PaymentMethod.VerificationStatus.FAILED
            detail["decline_code"] = result.decline_code
            detail["code"] = result.code
        else:
            detail["message"] = getattr(result, "message", "") or ""
        pm.verification_detail = detail
        pm.save(update_fields=["verification_status", "verified_at", "verification_detail", "updated_at"])
        data = payment_method_to_dict(pm)
        audit_record(
            actor=actor,
            action="payment_method.verification_" + ("succeeded" if outcome == "approved" else "failed"),
            merchant=pm.merchant,
            obj=pm,
            after={k: v for k, v in detail.items() if v not in (None, "")},
        )
        event_record(
            merchant=pm.merchant,
            livemode=pm.livemode,
            type="payment_method.updated",
            data=data,
            previous_attributes={"verification": {"status": previous_status}},
        )
        if outcome == "declined":
            failure = CardVerificationDeclined(
                result.message or None,
                code=result.code or None,
                decline_code=result.decline_code,
                extra={"payment_method": data},
            )
        elif outcome == "requires_action":
            failure = CardVerificationNeedsAuthentication(
                decline_code="authentication_required", extra={"payment_method": data}
            )
        elif outcome != "approved":
            failure = CardVerificationUnavailable(extra={"payment_method": data})
    if failure is not None:
        raise failure
    return pm
