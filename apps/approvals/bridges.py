"""Until the refunds service opens the approval request itself (inside refund_create's
transaction), this receiver opens it after the refund commits in `requires_approval`, naming the
requester from the refund's audit entry; and it cancels a pending request whose refund left
`requires_approval` some other way (canceled by the merchant, decided elsewhere)."""

from django.db import transaction


def on_refund_saved(sender, instance, created, **kwargs) -> None:
    pk, status = instance.pk, instance.status
    transaction.on_commit(lambda: sync_refund_approval(pk, status))


def sync_refund_approval(refund_pk: int, status: str) -> None:
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
