from .models import ApprovalRequest


def approval_pending_count(*, merchant_id: int | None = None) -> int:
    """Approval requests waiting for a decision (the back-office dashboard)."""
    qs = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return qs.count()
