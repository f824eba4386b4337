"""Daily roll-ups of the dashboard's figures (the only writer of reporting.DailyMetric)."""

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from .models import DailyMetric, RolledUpDay
from .selectors import aggregate_metrics


def daily_metrics_rollup(*, days: list[date]) -> int:
    """Recompute the roll-up of each day (idempotent: the day's rows are replaced). Returns rows written."""
    written = 0
    for day in sorted(set(days)):
        start = datetime.combine(day, time.min, tzinfo=UTC)
        rows = aggregate_metrics(start, start + timedelta(days=1), by_merchant=True)
        with transaction.atomic():
            DailyMetric.objects.filter(day=day).delete()
            DailyMetric.objects.bulk_create(
                [
                    DailyMetric(
                        day=day,
                        merchant_id=r["merchant_id"],
                        livemode=r["livemode"],
                        metric=r["metric"],
                        key=r["key"][:64],
                        count=r["count"],
                        amount=r["amount"],
                    )
                    for r in rows
                    if r["count"] or r["amount"]
                ],
                batch_size=2000,
            )
            RolledUpDay.objects.update_or_create(day=day, defaults={"computed_at": timezone.now()})
        written += len(rows)
    return written


def daily_metrics_rollup_recent(
    *, recent_days: int = 8, backfill_days: int = 35, backfill_limit: int = 5
) -> int:
    """Re-roll the last `recent_days` (late status changes land there) and fill a few days of the
    last `backfill_days` that were never rolled up. Today is never rolled up: it is always live."""
    today = timezone.now().astimezone(UTC).date()
    recent = [today - timedelta(days=i) for i in range(1, recent_days + 1)]
    window = [today - timedelta(days=i) for i in range(1, backfill_days + 1)]
    done = set(RolledUpDay.objects.filter(day__in=window).values_list("day", flat=True))
    missing = [d for d in window if d not in done and d not in recent][:backfill_limit]
    return daily_metrics_rollup(days=recent + missing)
