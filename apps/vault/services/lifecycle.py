"""A payment method's life after creation: attach to a customer, detach, update, soft delete.

Each runs under the payment method's row lock (`payment_method_lock`); the audit entry and the
event are written in the same transaction as the change. `payment_method_attach` is a plain
`atomic()` (not durable): other apps attach from inside their own transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.vault import cards
from apps.vault.errors import (
    ConsentKept,
    ParameterUnknown,
    PaymentMethodAlreadyAttached,
    PaymentMethodDefaultNeedsCustomer,
    PaymentMethodNotAttached,
)
from apps.vault.models import Customer, PaymentMethod
from apps.vault.payloads import payment_method_to_dict
from apps.webhooks.services import event_record

from .common import CONSENTED, consent_check, customer_check, metadata_merge, payment_method_lock


def payment_method_attach(
    *, payment_method: PaymentMethod, customer: Customer, actor: Actor, allow_redisplay: str | None = None
) -> PaymentMethod:
    """Save a payment method to a customer (card on file). Needs consent, given now or before."""
    customer_check(customer, merchant=payment_method.merchant, livemode=payment_method.livemode)
    with transaction.atomic():
        pm = payment_method_lock(payment_method)
        if pm.customer_id == customer.pk:
            if allow_redisplay and allow_redisplay != pm.allow_redisplay:
                consent_check(allow_redisplay, customer=customer)
                pm.allow_redisplay = allow_redisplay
                pm.consent_collected_at = timezone.now()
                pm.save(update_fields=["allow_redisplay", "consent_collected_at", "updated_at"])
            return pm
        if pm.customer_id is not None:
            raise PaymentMethodAlreadyAttached()
        effective = allow_redisplay or pm.allow_redisplay
        consent_check(effective, customer=customer)
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


def payment_method_detach_locked(pm: PaymentMethod, *, actor: Actor, reason: str = "") -> None:
    """Detach a payment method whose row the caller holds locked (detach, delete, customer delete)."""
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
        pm = payment_method_lock(payment_method)
        if pm.customer_id is None:
            raise PaymentMethodNotAttached(payment_method=pm.public_id)
        payment_method_detach_locked(pm, actor=actor)
    return pm


# --- update: one step per field group, each noting what it changed in `previous` -------------------


def _update_expiry(pm: PaymentMethod, previous: dict, *, exp_month, exp_year) -> None:
    if exp_month is None and exp_year is None:
        return
    month, year = cards.validate_expiry(
        exp_month if exp_month is not None else pm.card_exp_month,
        exp_year if exp_year is not None else pm.card_exp_year,
    )
    if (month, year) != (pm.card_exp_month, pm.card_exp_year):
        previous["card"] = {"exp_month": pm.card_exp_month, "exp_year": pm.card_exp_year}
        pm.card_exp_month, pm.card_exp_year = month, year


def _update_details(
    pm: PaymentMethod, previous: dict, before: dict, *, billing_details, metadata, nickname
) -> None:
    if billing_details is not None:
        merged = dict(pm.billing_details or {})
        merged.update(billing_details)
        if merged != pm.billing_details:
            previous["billing_details"] = before["billing_details"]
            pm.billing_details = merged
    if metadata is not None:
        merged = metadata_merge(pm.metadata, metadata)
        if merged != pm.metadata:
            previous["metadata"] = pm.metadata
            pm.metadata = merged
    if nickname is not None and nickname != pm.nickname:
        previous["nickname"] = pm.nickname or None
        pm.nickname = nickname


def _update_consent(pm: PaymentMethod, previous: dict, *, allow_redisplay) -> None:
    if allow_redisplay is None or allow_redisplay == pm.allow_redisplay:
        return
    if pm.customer_id is not None and allow_redisplay not in CONSENTED:
        raise ConsentKept()
    previous["allow_redisplay"] = pm.allow_redisplay
    pm.allow_redisplay = allow_redisplay
    pm.consent_collected_at = timezone.now() if allow_redisplay in CONSENTED else None


def _update_default(pm: PaymentMethod, previous: dict, *, is_default) -> None:
    if is_default is None or is_default == pm.is_default:
        return
    if is_default and pm.customer_id is None:
        raise PaymentMethodDefaultNeedsCustomer()
    if is_default:
        # Lock the customer first so concurrent "make default" calls queue up in a stable order.
        Customer.objects.select_for_update().filter(pk=pm.customer_id).first()
        PaymentMethod.objects.filter(customer_id=pm.customer_id, is_default=True).exclude(pk=pm.pk).update(
            is_default=False, updated_at=timezone.now()
        )
    previous["is_default"] = pm.is_default
    pm.is_default = is_default


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
        pm = payment_method_lock(payment_method)
        before = payment_method_to_dict(pm)
        previous: dict = {}
        _update_expiry(pm, previous, exp_month=exp_month, exp_year=exp_year)
        _update_details(
            pm, previous, before, billing_details=billing_details, metadata=metadata, nickname=nickname
        )
        _update_consent(pm, previous, allow_redisplay=allow_redisplay)
        _update_default(pm, previous, is_default=is_default)
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
        pm = payment_method_lock(payment_method)
        if pm.customer_id is not None:
            payment_method_detach_locked(pm, actor=actor, reason="payment method deleted")
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
