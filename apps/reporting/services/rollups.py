"""Daily roll-ups of the dashboard's figures (the only writer of reporting.DailyMetric)."""

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ..metrics import DIMENSIONS as _DIMS
from ..metrics import slot_counters
from ..models import DailyMetric, MetricHour, RolledUpDay, RolledUpHour
from ..selectors import aggregate_metrics


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


# --- hourly metric roll-ups (the metrics API) -----------------------------------------------


def metric_hours_rollup(*, start: datetime, end: datetime) -> int:
    """Recompute MetricHour for the UTC hours of [start, end) (idempotent: the hours' rows are
    replaced) and mark them rolled up. Returns the rows written."""
    start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if end <= start:
        return 0
    merged: dict[tuple, dict] = {}
    for row in slot_counters(start=start, end=end, merchant_id=None, livemode=None):
        key = (row["slot"], row["merchant_id"], row["livemode"], *(row["dims"][d][:64] for d in _DIMS))
        counts = merged.setdefault(key, {})
        for name, n in row["counts"].items():
            counts[name] = counts.get(name, 0) + n
    now = timezone.now()
    hours = []
    moment = start
    while moment < end:
        hours.append(moment)
        moment += timedelta(hours=1)
    with transaction.atomic():
        MetricHour.objects.filter(hour__gte=start, hour__lt=end).delete()
        MetricHour.objects.bulk_create(
            [
                MetricHour(
                    hour=key[0],
                    merchant_id=key[1],
                    livemode=key[2],
                    **dict(zip(_DIMS, key[3:], strict=True)),
                    **counts,
                )
                for key, counts in merged.items()
            ],
            batch_size=2000,
        )
        RolledUpHour.objects.filter(hour__in=hours).delete()
        RolledUpHour.objects.bulk_create([RolledUpHour(hour=h, computed_at=now) for h in hours])
    return len(merged)


def metric_hours_rollup_recent(
    *, recent_hours: int = 26, backfill_days: int = 35, backfill_hours: int = 48
) -> int:
    """Re-roll the last `recent_hours` closed hours (late status changes land there) and fill up
    to `backfill_hours` never-rolled hours of the last `backfill_days`. The current hour stays live."""
    current = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    written = metric_hours_rollup(start=current - timedelta(hours=recent_hours), end=current)
    window_start = current - timedelta(days=backfill_days)
    done = set(
        RolledUpHour.objects.filter(hour__gte=window_start, hour__lt=current).values_list("hour", flat=True)
    )
    moment, filled = window_start, 0
    while moment < current - timedelta(hours=recent_hours) and filled < backfill_hours:
        if moment not in done:
            written += metric_hours_rollup(start=moment, end=moment + timedelta(hours=1))
            filled += 1
        moment += timedelta(hours=1)
    return written
