"""Backfill for refunds parked in `requires_approval` before `refund_create` opened their approval
request itself (inside its own transaction): `sync_refund_approval(refund_pk)` opens the missing
request, naming the requester from the refund's audit entry, and cancels a pending request whose
refund already left `requires_approval`. Call it explicitly (e.g. from a shell or a one-off
command); nothing runs it on save — business logic does not hang off signals."""

from django.db import transaction


def sync_refund_approval(refund_pk: int) -> None:
    from apps.audit.models import AuditEntry
    from apps.audit.services import Actor
    from apps.refunds.models import Refund

    from .models import ApprovalRequest
    from .services import approval_request_cancel, approval_request_create

    refund = Refund.objects.select_related("merchant").filter(pk=refund_pk).first()
    if refund is None:
        return
    pending = ApprovalRequest.objects.filter(
        kind="refund", target_type="refund", target_id=refund.public_id, status=ApprovalRequest.Status.PENDING
    )
    if refund.status != Refund.Status.REQUIRES_APPROVAL:
        if pending.exists():
            with transaction.atomic():
                approval_request_cancel(
                    target_type="refund",
                    target_id=refund.public_id,
                    actor=Actor.system("refunds"),
                    reason=f"the refund is now {refund.status}",
                )
        return
    if ApprovalRequest.objects.filter(
        kind="refund", target_type="refund", target_id=refund.public_id
    ).exists():
        return
    entry = (
        AuditEntry.objects.filter(object_id=refund.public_id, action__in=["refund.create", "refund.created"])
        .order_by("id")
        .first()
    )
    actor = (
        Actor(type=entry.actor_type, id=entry.actor_id, label=entry.actor_label)
        if entry is not None
        else Actor.system(refund.requested_by or "unknown")
    )
    reason = (
        (refund.metadata or {}).get("staff_reason") or refund.reason or "refund above the approval threshold"
    )
    from apps.core.errors import StateConflictError

    try:
        with transaction.atomic():
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
                payload={"payment_intent_id": refund.payment_intent_id, "charge_id": refund.charge_id},
            )
    except StateConflictError:  # opened concurrently by the refunds service itself
        pass
