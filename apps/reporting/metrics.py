"""The metrics API's reads: metric definitions, the aggregation of the source tables into
additive counters per time slot and dimensions, and the bucketing in a time zone.

One aggregation (`slot_counters`) serves both the hourly roll-up (closed hours, UTC hour slots,
every dimension) and the live part of a query (open or partial hours), so the two cannot drift.
Rates are never summed: each bucket carries its numerator and denominator counters, and a rate
is computed from the summed counters, so bucket totals add up to the overall total exactly.

Grains, labelled on every metric: `payment` counts PaymentIntents by creation time with the
dimensions of their latest attempt; `attempt` counts Charges (authorization attempts) by theirs;
refunds, disputes and settlements are counted at their own creation time with the dimensions
of the charge they belong to (settlements carry the currency only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Trunc

from apps.disputes.models import Dispute
from apps.intents.models import Charge, PaymentIntent
from apps.intents.selectors import CHARGE_AUTHORIZED_STATUSES
from apps.ledger.models import BalanceTransaction
from apps.refunds.models import Refund

DIMENSIONS = ("connector", "currency", "payment_method_type", "card_brand", "decline_code")
GRANULARITIES = ("hour", "day")

PAYMENT_SUCCEEDED = (PaymentIntent.Status.SUCCEEDED, PaymentIntent.Status.REQUIRES_CAPTURE)
ATTEMPT_FINISHED = (*CHARGE_AUTHORIZED_STATUSES, Charge.Status.FAILED)
REFUND_COUNTED = (Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION, Refund.Status.SUCCEEDED)


@dataclass(frozen=True)
class Metric:
    name: str
    grain: str
    unit: str  # count | ratio | seconds
    numerator: str
    denominator: str | None = None
    description: str = ""

    def value(self, counts: dict) -> float | int | None:
        top = counts.get(self.numerator, 0)
        if self.denominator is None:
            return top
        bottom = counts.get(self.denominator, 0)
        if not bottom:
            return None
        return round(top / bottom, 6)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("payments_count", "payment", "count", "payments", description="Payments with an attempt."),
        Metric("payments_succeeded", "payment", "count", "payments_succeeded"),
        Metric("success_rate", "payment", "ratio", "payments_succeeded", "payments"),
        Metric("attempts_count", "attempt", "count", "attempts", description="Finished attempts."),
        Metric("authorization_rate", "attempt", "ratio", "attempts_authorized", "attempts"),
        Metric("decline_rate", "attempt", "ratio", "attempts_declined", "attempts"),
        Metric("three_ds_challenge_rate", "attempt", "ratio", "attempts_challenged", "attempts"),
        Metric("refund_rate", "payment", "ratio", "refunds", "payments_succeeded"),
        Metric("dispute_rate", "payment", "ratio", "disputes", "payments_succeeded"),
        Metric("chargeback_rate", "payment", "ratio", "chargebacks", "payments_succeeded"),
        Metric(
            "avg_settlement_delay",
            "balance_transaction",
            "seconds",
            "settlement_delay_seconds",
            "settlements",
            description="Mean time from capture to funds available, in seconds.",
        ),
    )
}
# Percentiles do not add up across buckets: computed live from the attempts, never rolled up.
LATENCY_METRICS = {"authorization_latency_p50": 0.5, "authorization_latency_p95": 0.95}
ALL_METRIC_NAMES = (*METRICS, *LATENCY_METRICS)


# --- aggregation ----------------------------------------------------------------------------


def json_text(field_path: str, *keys: str):
    """The text at `keys` inside a JSON field reached by `field_path` (relations allowed)."""
    expr = field_path
    for key in keys[:-1]:
        expr = KeyTransform(key, expr)
    return KeyTextTransform(keys[-1], expr)


def _dims(prefix: str, wanted: tuple[str, ...]) -> dict:
    """Dimension expressions of a source whose charge is reached by `prefix` ("" for Charge)."""
    paths = {
        "connector": F(f"{prefix}connector__code"),
        "currency": F(f"{prefix}currency"),
        "payment_method_type": F(f"{prefix}payment_method_type"),
        "card_brand": json_text(f"{prefix}payment_method_details", "card", "brand"),
        "decline_code": F(f"{prefix}decline_code"),
    }
    return {f"d_{name}": paths[name] for name in wanted}


def _grouped_rows(
    qs, *, slot_field: str, kind: str, tz, dims: dict, counters: dict, by_merchant=False
) -> list[dict]:
    tenant = ("merchant_id", "livemode") if by_merchant else ()
    rows = (
        qs.order_by()
        .annotate(slot=Trunc(slot_field, kind, tzinfo=tz), **dims)
        .values("slot", *tenant, *dims)
        .annotate(**counters)
    )
    out = []
    for row in rows:
        key = {name.removeprefix("d_"): (row[name] or "") for name in dims}
        item = {"slot": row["slot"], "dims": key, "counts": {c: row[c] or 0 for c in counters}}
        if by_merchant:
            item["merchant_id"], item["livemode"] = row["merchant_id"], row["livemode"]
        out.append(item)
    return out


def slot_counters(
    *,
    start: datetime,
    end: datetime,
    merchant_id: int | None,
    livemode: bool | None,
    dims: tuple[str, ...] = DIMENSIONS,
    kind: str = "hour",
    tz=UTC,
) -> list[dict]:
    """Additive counters over [start, end) as rows of slot (start of the `kind` slot in `tz`),
    dims {name: value} and counts {counter: n}. One GROUP BY query per source table. With
    `merchant_id=None` every merchant and mode (rows then carry merchant_id and livemode)."""
    by_merchant = merchant_id is None
    scope = {} if by_merchant else {"merchant_id": merchant_id, "livemode": livemode}
    span = {"created_at__gte": start, "created_at__lt": end}
    rows: list[dict] = []

    def _grouped(qs, **kwargs):
        return _grouped_rows(qs, by_merchant=by_merchant, **kwargs)

    rows += _grouped(
        PaymentIntent.objects.filter(**scope, **span, latest_charge__isnull=False),
        slot_field="created_at",
        kind=kind,
        tz=tz,
        dims={
            **_dims("latest_charge__", tuple(d for d in dims if d != "currency")),
            **({"d_currency": F("currency")} if "currency" in dims else {}),
        },
        counters={
            "payments": Count("id"),
            "payments_succeeded": Count("id", filter=Q(status__in=PAYMENT_SUCCEEDED)),
        },
    )
    rows += _grouped(
        Charge.objects.filter(**scope, **span, status__in=ATTEMPT_FINISHED),
        slot_field="created_at",
        kind=kind,
        tz=tz,
        dims=_dims("", dims),
        counters={
            "attempts": Count("id"),
            "attempts_authorized": Count("id", filter=Q(status__in=CHARGE_AUTHORIZED_STATUSES)),
            "attempts_declined": Count("id", filter=Q(status=Charge.Status.FAILED)),
            "attempts_challenged": Count("id", filter=Q(three_ds__isnull=False)),
        },
    )
    rows += _grouped(
        Refund.objects.filter(**scope, **span, status__in=REFUND_COUNTED),
        slot_field="created_at",
        kind=kind,
        tz=tz,
        dims=_dims("charge__", dims),
        counters={"refunds": Count("id")},
    )
    rows += _grouped(
        Dispute.objects.filter(**scope, **span),
        slot_field="created_at",
        kind=kind,
        tz=tz,
        dims=_dims("charge__", dims),
        counters={
            "disputes": Count("id"),
            "chargebacks": Count("id", filter=Q(case_type=Dispute.CaseType.CHARGEBACK)),
        },
    )
    delay = ExpressionWrapper(F("available_on") - F("created_at"), output_field=DurationField())
    for row in _grouped(
        BalanceTransaction.objects.filter(
            **scope,
            **span,
            type__in=[BalanceTransaction.Type.CHARGE, BalanceTransaction.Type.PAYMENT],
        ),
        slot_field="created_at",
        kind=kind,
        tz=tz,
        dims={"d_currency": F("currency")} if "currency" in dims else {},
        counters={"settlements": Count("id"), "settlement_delay": Sum(delay)},
    ):
        counts = row["counts"]
        spent = counts.pop("settlement_delay") or timedelta(0)
        counts["settlement_delay_seconds"] = int(spent.total_seconds())
        row["dims"] = {name: row["dims"].get(name, "") for name in dims}
        rows.append(row)
    return rows


def latency_percentiles(
    *, start, end, merchant_id: int, livemode: bool, dims: tuple[str, ...], kind: str, tz
) -> list[dict]:
    """Authorization latency (created → authorized, ms) per slot and dims: p50 and p95.
    PostgreSQL's percentile_cont; other databases answer the mean for both."""
    from django.db import connection

    qs = Charge.objects.filter(
        merchant_id=merchant_id,
        livemode=livemode,
        created_at__gte=start,
        created_at__lt=end,
        authorized_at__isnull=False,
    )
    latency = ExpressionWrapper(F("authorized_at") - F("created_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        from django.db.models import FloatField, Func

        class Percentile(Func):
            template = (
                "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
            )
            output_field = FloatField()
            # An aggregate: without this the ORM adds no GROUP BY for `.values(...).annotate(...)`
            # and PostgreSQL refuses the query as soon as one charge is in the range.
            contains_aggregate = True

        counters = {
            name: Percentile(latency, fraction=fraction) for name, fraction in LATENCY_METRICS.items()
        }
    else:
        counters = {name: Avg(latency) for name in LATENCY_METRICS}
    out = _grouped_rows(
        qs, slot_field="created_at", kind=kind, tz=tz, dims=_dims("", dims), counters=counters
    )
    for row in out:
        for name, value in row["counts"].items():
            seconds = value.total_seconds() if isinstance(value, timedelta) else float(value or 0)
            row["counts"][name] = round(seconds * 1000, 1)
    return out


# --- time buckets ---------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def whole_hour_offsets(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether every UTC hour of [start, end) starts on a local hour in `tz` (true of almost every
    zone; not of Asia/Kolkata, Australia/Adelaide, …): then hourly roll-ups bucket exactly."""
    probe = start.replace(minute=0, second=0, microsecond=0)
    seen = set()
    while probe < end and len(seen) < 3:
        seen.add(probe.astimezone(tz).utcoffset())
        probe += timedelta(days=30)
    seen.add(end.astimezone(tz).utcoffset())
    return all(offset.total_seconds() % 3600 == 0 for offset in seen)


def bucket_of(slot: datetime, *, granularity: str, tz: ZoneInfo) -> datetime:
    """The start (aware, UTC) of the `granularity` bucket in `tz` that contains `slot`."""
    local = slot.astimezone(tz)
    if granularity == "day":
        start = datetime.combine(local.date(), time.min, tzinfo=tz)
    else:
        start = local.replace(minute=0, second=0, microsecond=0)
    return start.astimezone(UTC)


def bucket_end(bucket_start: datetime, *, granularity: str, tz: ZoneInfo) -> datetime:
    if granularity == "day":
        local_day: date = bucket_start.astimezone(tz).date() + timedelta(days=1)
        return datetime.combine(local_day, time.min, tzinfo=tz).astimezone(UTC)
    return bucket_start + timedelta(hours=1)


# --- the query ------------------------------------------------------------------------------


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def _rolled_span(first: datetime, last: datetime) -> datetime:
    """The end of the contiguous run of rolled-up hours starting at `first` (≤ `last`)."""
    from .models import RolledUpHour

    hours = RolledUpHour.objects.filter(hour__gte=first, hour__lt=last).order_by("hour")
    expected = first
    for hour in hours.values_list("hour", flat=True).iterator(chunk_size=2000):
        if hour != expected:
            break
        expected = hour + timedelta(hours=1)
    return expected


def _rollup_rows(*, first, end, merchant_id, livemode, dims) -> list[dict]:
    from .models import MetricHour

    rows = (
        MetricHour.objects.filter(merchant_id=merchant_id, livemode=livemode, hour__gte=first, hour__lt=end)
        .order_by()
        .values("hour", *dims)
        .annotate(**{f"s_{c}": Sum(c) for c in MetricHour.COUNTERS})
    )
    return [
        {
            "slot": row["hour"],
            "dims": {d: row[d] for d in dims},
            "counts": {c: row[f"s_{c}"] or 0 for c in MetricHour.COUNTERS},
        }
        for row in rows
    ]


@dataclass
class MetricsAnswer:
    buckets: list[dict]
    totals: dict
    rollup_span: tuple[datetime, datetime] | None
    live_spans: list[tuple[datetime, datetime]]


def metrics_query(
    *,
    merchant_id: int,
    livemode: bool,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    granularity: str,
    group_by: tuple[str, ...],
    metrics: tuple[str, ...],
    now: datetime,
) -> MetricsAnswer:
    """Buckets of [start, end) in `tz`: closed, rolled-up hours read from MetricHour, the rest
    (today, partial hours at the edges, hours not rolled up yet) aggregated live."""
    scope = {"merchant_id": merchant_id, "livemode": livemode}
    end_closed = min(end, _floor_hour(now))
    slots: list[dict] = []
    live_spans: list[tuple[datetime, datetime]] = []
    rollup_span = None
    if whole_hour_offsets(tz, start, end):
        first = _ceil_hour(start)
        rolled_end = _rolled_span(first, end_closed) if first < end_closed else first
        if rolled_end > first:
            rollup_span = (first, rolled_end)
            slots += _rollup_rows(first=first, end=rolled_end, dims=group_by, **scope)
            live_spans = [(start, first), (rolled_end, end)]
        else:
            live_spans = [(start, end)]
        kind, slot_tz = "hour", UTC
    else:
        live_spans, kind, slot_tz = [(start, end)], granularity, tz
    live_spans = [(a, b) for a, b in live_spans if a < b]
    for a, b in live_spans:
        slots += slot_counters(start=a, end=b, dims=group_by, kind=kind, tz=slot_tz, **scope)

    buckets: dict[tuple, dict] = {}
    totals: dict[str, int] = {}
    for row in slots:
        bucket_start = max(bucket_of(row["slot"], granularity=granularity, tz=tz), start)
        key = (bucket_start, tuple(row["dims"].get(d, "") for d in group_by))
        counts = buckets.setdefault(key, {})
        for name, n in row["counts"].items():
            counts[name] = counts.get(name, 0) + n
            totals[name] = totals.get(name, 0) + n

    latency: dict[tuple, dict] = {}
    wanted_latency = [m for m in metrics if m in LATENCY_METRICS]
    if wanted_latency:
        for row in latency_percentiles(start=start, end=end, dims=group_by, kind=granularity, tz=tz, **scope):
            bucket_start = max(bucket_of(row["slot"], granularity=granularity, tz=tz), start)
            key = (bucket_start, tuple(row["dims"].get(d, "") for d in group_by))
            latency[key] = row["counts"]
            buckets.setdefault(key, {})

    def values(counts: dict, key=None) -> dict:
        out = {}
        for name in metrics:
            if name in LATENCY_METRICS:
                out[name] = (latency.get(key) or {}).get(name) if key is not None else None
            else:
                out[name] = METRICS[name].value(counts)
        return out

    wanted_counters = sorted(
        {
            c
            for name in metrics
            if name in METRICS
            for c in (METRICS[name].numerator, METRICS[name].denominator)
            if c
        }
    )
    data = []
    for key in sorted(buckets, key=lambda k: (k[0], k[1])):
        bucket_start, dim_values = key
        counts = buckets[key]
        data.append(
            {
                "bucket_start": bucket_start,
                "bucket_end": min(bucket_end(bucket_start, granularity=granularity, tz=tz), end),
                "dimensions": dict(zip(group_by, dim_values, strict=True)),
                "values": values(counts, key),
                "counts": {c: counts.get(c, 0) for c in wanted_counters},
            }
        )
    return MetricsAnswer(
        buckets=data,
        totals={"values": values(totals), "counts": {c: totals.get(c, 0) for c in wanted_counters}},
        rollup_span=rollup_span,
        live_spans=live_spans,
    )
