"""Capturing and canceling (voiding) an authorization, and recording the provider's answer to
either (``charge_record_operation``, also the janitor's with a looked-up answer)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Approved, Declined, Pending, RetryableError
from apps.core.errors import ApplicationError
from apps.ledger.services import ledger_record_capture

from .. import hooks  # risk's capture guard (registered by apps.risk)
from ..errors import (
    CaptureAmountNotPositive,
    CaptureAmountTooLarge,
    CaptureFailed,
    ChargeExpiredForCapture,
    OperationConnectorUnavailable,
    VoidFailed,
)
from ..locks import charge_lock, payment_intent_lock
from ..models import Charge, PaymentIntent
from ..transitions import assert_transition, unexpected_state
from .common import charge_event, intent_event

CANCELLABLE = {
    PaymentIntent.Status.REQUIRES_PAYMENT_METHOD,
    PaymentIntent.Status.REQUIRES_CONFIRMATION,
    PaymentIntent.Status.REQUIRES_ACTION,
    PaymentIntent.Status.REQUIRES_CAPTURE,
}
OPERATION_FAILED = {"capture": CaptureFailed, "void": VoidFailed}
_PENDING_FIELDS = ["pending_operation", "pending_operation_amount", "pending_since", "updated_at"]


def payment_intent_capture(
    *, intent_id: int, actor: Actor, amount_to_capture: int | None = None, reason: str = ""
) -> PaymentIntent:
    """Captures all or part of the authorization; the remainder is released."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        if intent.status != PaymentIntent.Status.REQUIRES_CAPTURE or intent.latest_charge_id is None:
            raise unexpected_state(intent, "capture")
        charge = charge_lock(intent.latest_charge_id, intent)
        hooks.capture_guard(intent)  # risk: a payment under review is captured when approved
        amount = intent.amount_capturable if amount_to_capture is None else amount_to_capture
        if amount <= 0:
            raise CaptureAmountNotPositive()
        if amount > intent.amount_capturable:
            raise CaptureAmountTooLarge(amount=amount, capturable=intent.amount_capturable)
        if charge.authorization_expires_at and charge.authorization_expires_at <= now:
            raise ChargeExpiredForCapture()
        assert_transition(intent, PaymentIntent.Status.PROCESSING, action="capture")
        charge.pending_operation = Charge.Operation.CAPTURE
        charge.pending_operation_amount = amount
        charge.pending_since = now
        charge.save(update_fields=_PENDING_FIELDS)
        intent.status = PaymentIntent.Status.PROCESSING
        intent.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, action="payment_intent.capture_requested", merchant=intent.merchant, obj=intent,
            after={"amount_to_capture": amount, "charge": charge.public_id}, reason=reason,
        )  # fmt: skip
    return _operation_send(intent, charge, operation="capture", amount=amount, actor=actor)


def payment_intent_cancel(
    *, intent_id: int, actor: Actor, cancellation_reason: str = "", reason: str = ""
) -> PaymentIntent:
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        if intent.status not in CANCELLABLE:
            raise unexpected_state(intent, "cancel")
        charge = charge_lock(intent.latest_charge_id, intent) if intent.latest_charge_id else None
        needs_void = intent.status == PaymentIntent.Status.REQUIRES_CAPTURE and charge is not None
        if not needs_void:
            payment_intent_mark_canceled(
                intent, charge, actor=actor, cancellation_reason=cancellation_reason, reason=reason
            )
            return intent
        assert_transition(intent, PaymentIntent.Status.PROCESSING, action="cancel")
        charge.pending_operation = Charge.Operation.VOID
        charge.pending_operation_amount = intent.amount_capturable
        charge.pending_since = timezone.now()
        charge.save(update_fields=_PENDING_FIELDS)
        intent.status = PaymentIntent.Status.PROCESSING
        intent.cancellation_reason = cancellation_reason or ""
        intent.save(update_fields=["status", "cancellation_reason", "updated_at"])
        audit_record(
            actor=actor, action="payment_intent.cancel_requested", merchant=intent.merchant, obj=intent,
            after={"cancellation_reason": cancellation_reason, "charge": charge.public_id}, reason=reason,
        )  # fmt: skip
    return _operation_send(intent, charge, operation="void", amount=charge.amount_authorized, actor=actor)


def _operation_send(intent: PaymentIntent, charge: Charge, *, operation: str, amount: int, actor: Actor):
    """Step 2 (no transaction open) of a capture or void: ask the provider under our own
    idempotency key, then record its answer (step 3)."""
    send = gateway.capture if operation == "capture" else gateway.void
    result = send(
        connector=charge.connector,
        idempotency_key=f"{charge.public_id}:{operation}",
        gateway_reference=charge.gateway_reference,
        amount=amount,
        currency=charge.currency,
        metadata=intent.metadata,
    )
    return charge_record_operation(
        intent_id=intent.pk, charge_id=charge.pk, operation=operation, result=result, actor=actor
    )


def payment_intent_mark_canceled(
    intent: PaymentIntent, charge: Charge | None, *, actor: Actor, cancellation_reason: str, reason: str = "",
    charge_event_type: str = "",
) -> None:  # fmt: skip
    """In the caller's transaction, intent and charge locked: the intent is canceled and an
    open authorization or customer step of its charge with it."""
    now = timezone.now()
    assert_transition(intent, PaymentIntent.Status.CANCELED, action="cancel")
    if charge is not None and charge.status in (Charge.Status.REQUIRES_ACTION, Charge.Status.AUTHORIZED):
        charge.status = Charge.Status.CANCELED
        charge.canceled_at = now
        charge.action_reference = ""
        _clear_pending(charge)
        charge.save()
        if charge_event_type:
            charge_event(charge, charge_event_type)
    intent.status = PaymentIntent.Status.CANCELED
    intent.cancellation_reason = cancellation_reason or intent.cancellation_reason or ""
    intent.canceled_at = now
    intent.amount_capturable = 0
    intent.next_action = None
    intent.save()
    audit_record(
        actor=actor, action="payment_intent.canceled", merchant=intent.merchant, obj=intent,
        after={"cancellation_reason": intent.cancellation_reason}, reason=reason,
    )  # fmt: skip
    intent_event(intent, "payment_intent.canceled")


def charge_record_operation(
    *, intent_id: int, charge_id: int, operation: str, result, actor: Actor, raise_errors: bool = True
) -> PaymentIntent:
    """Step 3 of a capture or void: lock and record the provider's answer. An operation already
    recorded is left alone."""
    error: ApplicationError | None = None
    with transaction.atomic(durable=True):
        intent = payment_intent_lock(intent_id)
        charge = charge_lock(charge_id, intent)
        intent.latest_charge = charge
        if charge.pending_operation != operation:
            return intent  # already recorded
        error = _record_operation(intent, charge, operation=operation, result=result, actor=actor)
    if error is not None and raise_errors:
        raise error
    return intent


def _record_operation(intent, charge, *, operation: str, result, actor: Actor) -> ApplicationError | None:
    if isinstance(result, Approved):
        if operation == "capture":
            _operation_captured(intent, charge, actor=actor)
        else:
            _clear_pending(charge)
            payment_intent_mark_canceled(
                intent, charge, actor=actor, cancellation_reason=intent.cancellation_reason,
                charge_event_type="charge.voided",
            )  # fmt: skip
        return None
    if isinstance(result, RetryableError) and result.outcome_unknown:
        # left pending: the janitor asks the provider
        audit_record(
            actor=actor, action=f"charge.{operation}_outcome_unknown", merchant=intent.merchant, obj=charge,
            after={"code": result.code},
        )  # fmt: skip
        return None
    if isinstance(result, Pending):
        return None
    if isinstance(result, Declined) and result.code == ChargeExpiredForCapture.code:
        _clear_pending(charge)
        intent.status = PaymentIntent.Status.REQUIRES_CAPTURE  # so the cancel below is a legal transition
        payment_intent_mark_canceled(
            intent, charge, actor=actor, cancellation_reason="automatic", charge_event_type="charge.expired"
        )
        return ChargeExpiredForCapture()
    return _operation_refused(intent, charge, operation=operation, result=result, actor=actor)


def _operation_captured(intent: PaymentIntent, charge: Charge, *, actor: Actor) -> None:
    now = timezone.now()
    amount = charge.pending_operation_amount or 0
    charge.status = Charge.Status.SUCCEEDED
    charge.captured = True
    charge.amount_captured = amount
    charge.captured_at = now
    _clear_pending(charge)
    charge.save()
    intent.status = PaymentIntent.Status.SUCCEEDED
    intent.amount_received = amount
    intent.amount_capturable = 0  # the remainder is released
    intent.succeeded_at = now
    intent.save()
    ledger_record_capture(charge=charge)
    audit_record(
        actor=actor, action="payment_intent.captured", merchant=intent.merchant, obj=intent,
        after={"amount_captured": amount, "released": charge.amount_authorized - amount,
               "charge": charge.public_id},
    )  # fmt: skip
    charge_event(charge, "charge.captured")
    intent_event(intent, "payment_intent.succeeded")


def _operation_refused(intent, charge, *, operation: str, result, actor: Actor) -> ApplicationError:
    """Refused, or never reached the provider: back to requires_capture."""
    _clear_pending(charge)
    charge.save()
    assert_transition(intent, PaymentIntent.Status.REQUIRES_CAPTURE, action=operation)
    intent.status = PaymentIntent.Status.REQUIRES_CAPTURE
    if operation == "void":
        intent.cancellation_reason = ""
    intent.save()
    message = getattr(result, "message", "The connector refused the operation.")
    audit_record(
        actor=actor, action=f"charge.{operation}_failed", merchant=intent.merchant, obj=charge,
        after={"code": getattr(result, "code", ""), "message": message},
    )  # fmt: skip
    if isinstance(result, RetryableError):
        return OperationConnectorUnavailable(operation=operation, reason=result.code)
    return OPERATION_FAILED[operation](message)


def _clear_pending(charge: Charge) -> None:
    charge.pending_operation = ""
    charge.pending_operation_amount = None
    charge.pending_since = None
