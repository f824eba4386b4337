"""Creating a refund: its target, the amount check under the intent and charge locks, the approval step, the submission."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.intents.locks import charge_lock, payment_intent_lock
from apps.intents.models import Charge, PaymentIntent
from apps.merchants.selectors import merchant_settings_get

from ..errors import (
    ChargeAlreadyRefunded,
    ChargeNotCaptured,
    PaymentIntentNotRefundable,
    RefundAmountNotPositive,
    RefundAmountTooLarge,
    RefundChargeMissing,
    RefundChargeNotOfPaymentIntent,
    RefundPaymentIntentMissing,
    RefundTargetMissing,
)
from ..models import Refund
from .common import _event, refundable_amount
from .outcomes import refund_record_result


def _refund_target(*, merchant, livemode: bool, payment_intent: str | None, charge: str | None):
    """(intent pk, charge pk or None) of the payment to refund, from the public ids given."""
    if not payment_intent and not charge:
        raise RefundTargetMissing()
    if charge:
        row = Charge.objects.filter(merchant=merchant, livemode=livemode, public_id=charge).values(
            "pk", "payment_intent_id", "payment_intent__public_id"
        ).first()  # fmt: skip
        if row is None:
            raise RefundChargeMissing(id=charge)
        if payment_intent and row["payment_intent__public_id"] != payment_intent:
            raise RefundChargeNotOfPaymentIntent()
        return row["payment_intent_id"], row["pk"]
    intent_pk = (
        PaymentIntent.objects.filter(merchant=merchant, livemode=livemode, public_id=payment_intent)
        .values_list("pk", flat=True)
        .first()
    )
    if intent_pk is None:
        raise RefundPaymentIntentMissing(id=payment_intent)
    return intent_pk, None


def refund_create(
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    payment_intent: str | None = None,
    charge: str | None = None,
    amount: int | None = None,
    reason: str = "",
    metadata: dict | None = None,
    staff_reason: str = "",
) -> Refund:
    """`staff_reason` is the back office's why: kept on the audit entry and the approval request,
    never in `metadata` (which the merchant sees)."""
    intent_pk, charge_pk = _refund_target(
        merchant=merchant, livemode=livemode, payment_intent=payment_intent, charge=charge
    )
    if amount is not None and amount <= 0:
        raise RefundAmountNotPositive()
    merchant_settings = merchant_settings_get(merchant)

    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_pk)
        if charge_pk is None:
            charge_pk = (
                intent.charges.filter(captured=True).order_by("-id").values_list("pk", flat=True).first()
                or intent.latest_charge_id
            )
        if intent.status != PaymentIntent.Status.SUCCEEDED or charge_pk is None:
            raise PaymentIntentNotRefundable(intent_status=intent.status, extra={"status": intent.status})
        locked = charge_lock(charge_pk, intent)
        if not locked.captured or locked.amount_captured <= 0:
            raise ChargeNotCaptured(charge=locked.public_id, param="charge" if charge else "payment_intent")
        remaining = refundable_amount(locked)
        if remaining <= 0:
            raise ChargeAlreadyRefunded(charge=locked.public_id)
        value = remaining if amount is None else amount
        if value > remaining:
            raise RefundAmountTooLarge(amount=value, remaining=remaining)
        # The threshold of the refund's own currency (its minor units), else the single legacy one.
        threshold = merchant_settings.refund_threshold_for(locked.currency)
        needs_approval = threshold is not None and value > threshold
        refund = Refund(
            merchant=intent.merchant,
            livemode=intent.livemode,
            payment_intent=intent,
            charge=locked,
            amount=value,
            currency=locked.currency,
            status=Refund.Status.REQUIRES_APPROVAL if needs_approval else Refund.Status.PENDING,
            submission=Refund.Submission.NOT_SENT if needs_approval else Refund.Submission.SUBMITTING,
            submitted_at=None if needs_approval else timezone.now(),
            reason=reason or "",
            metadata=metadata or {},
            requested_by=actor.label[:200],
        )
        refund.save()
        audit_record(
            actor=actor, action="refund.create", merchant=intent.merchant, obj=refund,
            after={"amount": value, "currency": refund.currency, "charge": locked.public_id,
                   "status": refund.status, "reason": refund.reason},
            reason=staff_reason,
        )  # fmt: skip
        _event(refund, "refund.created")
        if needs_approval:
            _approval_open(refund, actor, staff_reason=staff_reason)
    if needs_approval:
        return refund
    return _submit(refund, locked, actor=actor)


def _approval_open(refund: Refund, actor: Actor, *, staff_reason: str = "") -> None:
    """Opens the maker-checker request of a refund parked in `requires_approval` (same transaction)."""
    from django.contrib.auth import get_user_model

    from apps.approvals.services import approval_request_create

    reason = staff_reason or refund.reason or "above the approval threshold"
    user = None
    if actor.type == "staff" and str(actor.id).isdigit():
        user = get_user_model().objects.filter(pk=int(actor.id)).first()
    approval_request_create(
        kind="refund",
        merchant=refund.merchant,
        livemode=refund.livemode,
        target_type="refund",
        target_id=refund.public_id,
        amount=refund.amount,
        currency=refund.currency,
        reason=reason,
        requested_by=actor,
        requested_by_user=user,
        payload={"payment_intent_id": refund.payment_intent.public_id, "charge_id": refund.charge.public_id},
    )


def _submit(refund: Refund, charge: Charge, *, actor: Actor) -> Refund:
    """Step 2 (no transaction open): ask the provider, then record."""
    result = gateway.refund(
        connector=charge.connector,
        idempotency_key=refund.provider_key,
        gateway_reference=charge.gateway_reference,
        amount=refund.amount,
        currency=refund.currency,
        metadata={**(refund.payment_intent.metadata or {}), **(refund.metadata or {})},
    )
    return refund_record_result(refund_id=refund.pk, result=result, actor=actor)
