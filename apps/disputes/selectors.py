from django.db.models import QuerySet

from apps.core.selectors import tenant_get

from .models import Dispute


def dispute_get(*, merchant, livemode: bool, id: str) -> Dispute:
    return tenant_get(
        Dispute.objects.select_related("payment_intent", "charge"),
        merchant=merchant, livemode=livemode, id=id, resource="dispute",
    )  # fmt: skip


def dispute_list(*, merchant, livemode: bool, filters: dict | None = None) -> QuerySet[Dispute]:
    filters = filters or {}
    qs = Dispute.objects.select_related("payment_intent", "charge").filter(
        merchant=merchant, livemode=livemode
    )
    if filters.get("payment_intent"):
        qs = qs.filter(payment_intent__public_id=filters["payment_intent"])
    if filters.get("charge"):
        qs = qs.filter(charge__public_id=filters["charge"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("due_before") is not None:
        qs = qs.filter(due_by__lt=filters["due_before"])
    return qs
