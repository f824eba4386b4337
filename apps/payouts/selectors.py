from django.db.models import Count, Sum

from .models import Payout


def payout_open_totals(*, merchant_id: int | None = None) -> list[dict]:
    """Pending and failed payouts for the back-office dashboard: rows of status, currency, amount, count."""
    qs = Payout.objects.filter(status__in=[Payout.Status.PENDING, Payout.Status.FAILED]).order_by()
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    return list(
        qs.values("status", "currency").annotate(amount=Sum("amount"), count=Count("id")).order_by("status")
    )
