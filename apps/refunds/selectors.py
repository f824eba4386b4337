from django.db.models import QuerySet

from apps.core.selectors import tenant_get

from .models import Refund


def refund_get(*, merchant, livemode: bool, id: str) -> Refund:
    return tenant_get(
        Refund.objects.select_related("payment_intent", "charge"),
        merchant=merchant, livemode=livemode, id=id, resource="refund",
    )  # fmt: skip


def refund_list(*, merchant, livemode: bool, filters: dict | None = None) -> QuerySet[Refund]:
    filters = filters or {}
    qs = Refund.objects.select_related("payment_intent", "charge").filter(
        merchant=merchant, livemode=livemode
    )
    if filters.get("payment_intent"):
        qs = qs.filter(payment_intent__public_id=filters["payment_intent"])
    if filters.get("charge"):
        qs = qs.filter(charge__public_id=filters["charge"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs


def refund_approval_queue() -> QuerySet[Refund]:
    return Refund.objects.select_related("merchant", "payment_intent", "charge").filter(
        status=Refund.Status.REQUIRES_APPROVAL
    )


# --- figures for the back-office dashboard (apps.reporting) ----------------------------------


def refund_totals(*, filters: dict, group_by: list[str]) -> list[dict]:
    """Refunds that are not failed or canceled: rows of *group_by, currency, count, amount."""
    from django.db.models import Count, Sum

    return list(
        Refund.objects.filter(**filters)
        .exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
        .order_by()
        .values(*group_by, "currency")
        .annotate(count=Count("id"), amount=Sum("amount"))
    )


def refund_awaiting_approval_count(*, merchant_id: int | None = None) -> int:
    qs = Refund.objects.filter(status=Refund.Status.REQUIRES_APPROVAL)
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return qs.count()
