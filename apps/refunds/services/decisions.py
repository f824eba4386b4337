"""Staff and merchant decisions on a refund: approve, reject, cancel, update."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Approved, Declined

from ..errors import (
    RefundCancelRefused,
    RefundCancelUnavailable,
    RefundNotAwaitingApproval,
    RefundNotCancelable,
    RefundReasonRequired,
)
from ..models import Refund
from ..transitions import assert_transition
from .common import OPEN, _event, _lock_all, _resolve_refund_id
from .create import _submit


def refund_approve(*, refund_id, actor: Actor, reason: str) -> Refund:
    """A support lead approves a refund waiting above the merchant's threshold; it is then sent."""
    if not reason or not reason.strip():
        raise RefundReasonRequired(verb="approve")
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        if refund.status != Refund.Status.REQUIRES_APPROVAL:
            raise RefundNotAwaitingApproval(refund_status=refund.status, done="approved")
        _decide(refund, actor, reason)
        assert_transition(refund, Refund.Status.PENDING)
        refund.status = Refund.Status.PENDING
        refund.submission = Refund.Submission.SUBMITTING
        refund.submitted_at = timezone.now()
        refund.save()
        audit_record(
            actor=actor, action="refund.approved", merchant=refund.merchant, obj=refund,
            before={"status": Refund.Status.REQUIRES_APPROVAL}, after={"status": Refund.Status.PENDING}, reason=reason,
        )  # fmt: skip
        _event(refund, "refund.updated", {"status": Refund.Status.REQUIRES_APPROVAL})
    return _submit(refund, charge, actor=actor)


def refund_reject(*, refund_id, actor: Actor, reason: str) -> Refund:
    if not reason or not reason.strip():
        raise RefundReasonRequired(verb="reject")
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, _charge, refund = _lock_all(pk)
        if refund.status != Refund.Status.REQUIRES_APPROVAL:
            raise RefundNotAwaitingApproval(refund_status=refund.status, done="rejected")
        _decide(refund, actor, reason)
        assert_transition(refund, Refund.Status.CANCELED)
        refund.status = Refund.Status.CANCELED
        refund.failure_reason = "rejected"
        refund.canceled_at = timezone.now()
        refund.save()
        audit_record(
            actor=actor, action="refund.rejected", merchant=refund.merchant, obj=refund,
            before={"status": Refund.Status.REQUIRES_APPROVAL}, after={"status": Refund.Status.CANCELED}, reason=reason,
        )  # fmt: skip
        _event(refund, "refund.updated", {"status": Refund.Status.REQUIRES_APPROVAL})
    return refund


def _decide(refund: Refund, actor: Actor, reason: str) -> None:
    refund.decided_at = timezone.now()
    refund.decision_reason = reason.strip()[:500]
    if actor.type == "staff" and actor.id.isdigit():
        refund.decided_by_id = int(actor.id)


def refund_cancel(*, refund_id, actor: Actor, reason: str = "") -> Refund:
    """Cancels a refund that has not reached the customer: waiting for approval, not yet sent,
    or accepted by the provider but still pending (the provider is asked to stop it)."""
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        cancellable_now = refund.status == Refund.Status.REQUIRES_APPROVAL or (
            refund.status in OPEN and refund.submission == Refund.Submission.NOT_SENT
        )
        if cancellable_now:
            was_waiting = refund.status == Refund.Status.REQUIRES_APPROVAL
            _mark_canceled(refund, actor=actor, reason=reason)
            if was_waiting:
                from apps.approvals.services import approval_request_cancel

                approval_request_cancel(
                    target_type="refund", target_id=refund.public_id, actor=actor,
                    reason=reason or "the refund was canceled",
                )  # fmt: skip
            return refund
        if not (refund.status in OPEN and refund.submission == Refund.Submission.ACCEPTED):
            raise RefundNotCancelable(refund_status=refund.status, extra={"status": refund.status})
        gateway_reference = refund.gateway_reference
    result = gateway.void(
        connector=charge.connector,
        idempotency_key=f"{refund.public_id}:cancel",
        gateway_reference=gateway_reference,
        amount=refund.amount,
        currency=refund.currency,
    )
    with transaction.atomic(durable=True):
        _intent, charge, refund = _lock_all(pk)
        if refund.status not in OPEN:
            raise RefundNotCancelable(refund_status=refund.status, extra={"status": refund.status})
        if not isinstance(result, Approved):
            raise RefundCancelRefused() if isinstance(result, Declined) else RefundCancelUnavailable()
        _mark_canceled(refund, actor=actor, reason=reason)
    return refund


def _mark_canceled(refund: Refund, *, actor: Actor, reason: str) -> None:
    previous = {"status": refund.status}
    assert_transition(refund, Refund.Status.CANCELED)
    refund.status = Refund.Status.CANCELED
    refund.submission = (
        Refund.Submission.DONE if refund.submission == Refund.Submission.ACCEPTED else refund.submission
    )
    refund.canceled_at = timezone.now()
    refund.save()
    audit_record(
        actor=actor, action="refund.canceled", merchant=refund.merchant, obj=refund, before=previous,
        after={"status": Refund.Status.CANCELED}, reason=reason,
    )  # fmt: skip
    _event(refund, "refund.updated", previous)


def refund_update(*, refund_id, actor: Actor, metadata: dict) -> Refund:
    pk = _resolve_refund_id(refund_id)
    with transaction.atomic(durable=True):
        refund = Refund.objects.select_for_update().get(pk=pk)
        previous = {"metadata": refund.metadata}
        refund.metadata = metadata or {}
        refund.save(update_fields=["metadata", "updated_at"])
        audit_record(actor=actor, action="refund.update", merchant=refund.merchant, obj=refund, before=previous,
                     after={"metadata": refund.metadata})  # fmt: skip
        _event(refund, "refund.updated", previous)
    return refund


# ---------------------------------------------------------------------------------------------
# janitor and inbound events
# ---------------------------------------------------------------------------------------------
