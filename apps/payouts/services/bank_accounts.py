"""Bank accounts payouts go to: validated, the number encrypted at once, one default per currency."""

from __future__ import annotations

import json

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.currencies import get_currency
from apps.core.ids import generate_id
from apps.vault import crypto
from apps.vault.banks import validate_account_number, validate_iban, validate_routing_number
from apps.vault.errors import BankValidationError
from apps.webhooks.services import event_record

from ..errors import (
    BankAccountInUse,
    BankAccountInvalid,
    BankAccountIsDefault,
    ParameterInvalid,
    ParameterMissing,
)
from ..models import BankAccount, Payout
from ..payloads import bank_account_payload


def _aad(merchant_public_id: str, public_id: str) -> bytes:
    return f"clearhouse.payouts.bank_account.v1|{merchant_public_id}|{public_id}".encode()


def bank_account_number(account: BankAccount) -> str:
    """Decrypts the account number / IBAN (only for the bank call; never logged or shown)."""
    envelope = crypto.Envelope(
        kek_version=account.kek_version,
        wrapped_key=bytes(account.wrapped_key),
        nonce=bytes(account.nonce),
        ciphertext=bytes(account.ciphertext),
    )
    data = json.loads(crypto.decrypt(envelope, aad=_aad(account.merchant.public_id, account.public_id)))
    return data["number"]


def _bank_error(exc: BankValidationError, param: str) -> BankAccountInvalid:
    return BankAccountInvalid(exc.message, code=exc.code, param=param)


def _iban_validate(iban: str, country: str) -> tuple[str, str]:
    """The normalised IBAN and its country."""
    try:
        valid = validate_iban(iban, param="iban", sepa_only=False)
    except BankValidationError as exc:
        raise _bank_error(exc, "iban") from None
    if country and country.upper() != valid.country:
        raise ParameterInvalid(f"The IBAN is from {valid.country}, not {country.upper()}.", param="country")
    return valid.iban, valid.country


def _us_account_validate(routing_number: str | None, account_number: str | None) -> tuple[str, str]:
    """The routing and account numbers, validated."""
    if not routing_number:
        raise ParameterMissing("routing_number is required.", param="routing_number")
    if not account_number:
        raise ParameterMissing("account_number is required.", param="account_number")
    try:
        routing = validate_routing_number(routing_number, param="routing_number")
        number = validate_account_number(account_number, param="account_number")
    except BankValidationError as exc:
        raise _bank_error(exc, exc.param or "account_number") from None
    return routing, number


def _bank_details(
    *, iban: str | None, routing_number: str | None, account_number: str | None, country: str
) -> tuple[str, str, str, str]:
    """(number, kind, routing number, country) from either an IBAN or US routing + account."""
    if iban and (routing_number or account_number):
        raise ParameterInvalid("Give either iban or routing_number + account_number, not both.", param="iban")
    if iban:
        number, country = _iban_validate(iban, country)
        return number, BankAccount.Kind.IBAN, "", country
    if routing_number or account_number:
        routing, number = _us_account_validate(routing_number, account_number)
        return number, BankAccount.Kind.US, routing, (country or "US").upper()
    raise ParameterMissing("Give an iban, or a routing_number and an account_number.", param="iban")


def bank_account_create(
    *,
    merchant,
    livemode: bool,
    currency: str,
    country: str = "",
    account_holder_name: str = "",
    account_holder_type: str = "company",
    iban: str | None = None,
    routing_number: str | None = None,
    account_number: str | None = None,
    default_for_currency: bool = False,
    metadata: dict | None = None,
    actor: Actor,
) -> BankAccount:
    currency = get_currency(currency).code
    number, kind, routing, country = _bank_details(
        iban=iban, routing_number=routing_number, account_number=account_number, country=country
    )
    if account_holder_type not in ("individual", "company"):
        raise ParameterInvalid(
            "account_holder_type must be individual or company.", param="account_holder_type"
        )
    public_id = generate_id(BankAccount.ID_PREFIX)
    envelope = crypto.encrypt(
        json.dumps({"number": number}).encode(), aad=_aad(merchant.public_id, public_id), livemode=livemode
    )
    with transaction.atomic():
        has_default = BankAccount.objects.filter(
            merchant=merchant, livemode=livemode, currency=currency, default_for_currency=True
        ).exclude(status=BankAccount.Status.DELETED)
        make_default = default_for_currency or not has_default.exists()
        if make_default:
            has_default.select_for_update().update(default_for_currency=False, updated_at=timezone.now())
        account = BankAccount.objects.create(
            public_id=public_id,
            merchant=merchant,
            livemode=livemode,
            kind=kind,
            country=country,
            currency=currency,
            account_holder_name=account_holder_name[:200],
            account_holder_type=account_holder_type,
            routing_number=routing,
            last4=number[-4:],
            fingerprint=crypto.fingerprint(number, merchant_id=merchant.public_id),
            kek_version=envelope.kek_version,
            wrapped_key=envelope.wrapped_key,
            nonce=envelope.nonce,
            ciphertext=envelope.ciphertext,
            default_for_currency=make_default,
            metadata=metadata or {},
        )
        data = bank_account_payload(account)
        audit_record(actor=actor, action="bank_account.created", merchant=merchant, obj=account, after=data)
        event_record(merchant=merchant, livemode=livemode, type="bank_account.created", data=data)
    return account


def bank_account_update(*, account: BankAccount, changes: dict, actor: Actor) -> BankAccount:
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().select_related("merchant").get(pk=account.pk)
        before = bank_account_payload(account)
        if changes.get("default_for_currency") is True and not account.default_for_currency:
            BankAccount.objects.filter(
                merchant=account.merchant,
                livemode=account.livemode,
                currency=account.currency,
                default_for_currency=True,
            ).update(default_for_currency=False, updated_at=timezone.now())
            account.default_for_currency = True
        elif changes.get("default_for_currency") is False and account.default_for_currency:
            raise ParameterInvalid(
                "Make another bank account the default for this currency instead.",
                param="default_for_currency",
            )
        if "account_holder_name" in changes:
            account.account_holder_name = changes["account_holder_name"][:200]
        if "metadata" in changes:
            account.metadata = changes["metadata"]
        account.save()
        after = bank_account_payload(account)
        audit_record(
            actor=actor,
            action="bank_account.updated",
            merchant=account.merchant,
            obj=account,
            before=before,
            after=after,
        )
        event_record(
            merchant=account.merchant, livemode=account.livemode, type="bank_account.updated", data=after
        )
    return account


def bank_account_delete(*, account: BankAccount, actor: Actor) -> BankAccount:
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().select_related("merchant").get(pk=account.pk)
        on_the_way = [Payout.Status.PENDING, Payout.Status.IN_TRANSIT]
        if Payout.objects.filter(destination=account, status__in=on_the_way).exists():
            raise BankAccountInUse()
        others = (
            BankAccount.objects.filter(
                merchant=account.merchant, livemode=account.livemode, currency=account.currency
            )
            .exclude(pk=account.pk)
            .exclude(status=BankAccount.Status.DELETED)
        )
        if account.default_for_currency and others.exists():
            raise BankAccountIsDefault()
        account.status = BankAccount.Status.DELETED
        account.default_for_currency = False
        account.save(update_fields=["status", "default_for_currency", "updated_at"])
        data = {**bank_account_payload(account), "deleted": True}
        audit_record(actor=actor, action="bank_account.deleted", merchant=account.merchant, obj=account)
        event_record(
            merchant=account.merchant, livemode=account.livemode, type="bank_account.deleted", data=data
        )
    return account
