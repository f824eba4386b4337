"""Read-only aggregates for the back-office dashboard, and the global search.

Every figure is one aggregate query (GROUP BY in PostgreSQL, no per-row Python), filtered on
indexed columns (created_at, merchant). Models that are not installed yet are skipped, so the
dashboard works while apps land."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q, Sum
from django.utils import timezone

PERIODS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days"}


_TABLES: set[str] = set()


def _model(label: str):
    """The model if it is installed and migrated (apps land one by one), else None."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    table = model._meta.db_table
    if table not in _TABLES:
        from django.db import connection

        with connection.cursor() as cursor:
            _TABLES.update(connection.introspection.table_names(cursor))
        if table not in _TABLES:
            return None
    return model


def _has(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


PERIOD_DAYS = {"today": 1, "7d": 7, "30d": 30}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def period_start(period: str, now=None) -> datetime:
    """Periods are calendar days in UTC, today included: "7d" is today and the six days before."""
    today = (now or timezone.now()).astimezone(UTC).date()
    return _day_start(today - timedelta(days=PERIOD_DAYS.get(period, 1) - 1))


def _scoped(model, *, start, end, merchant_id, livemode):
    qs = model.objects.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    if merchant_id is not None and _has(model, "merchant"):
        qs = qs.filter(merchant_id=merchant_id)
    if livemode is not None and _has(model, "livemode"):
        qs = qs.filter(livemode=livemode)
    return qs.order_by()


def _grouped(qs, group: list[str], **aggregates) -> list[dict]:
    """GROUP BY `group` — or one plain aggregate row when there is nothing to group by (an empty
    .values() would group by every column)."""
    if group:
        return list(qs.values(*group).annotate(**aggregates))
    return [qs.aggregate(**aggregates)]


def aggregate_metrics(start, end=None, *, merchant_id=None, livemode=None, by_merchant=False) -> list[dict]:
    """The dashboard's figures for [start, end) in long format: dicts of metric, key, count, amount
    (plus merchant_id and livemode when `by_merchant`). One GROUP BY query per source table."""
    from .models import DailyMetric

    M = DailyMetric.Metric
    group = ["merchant_id", "livemode"] if by_merchant else []
    scope = {"start": start, "end": end, "merchant_id": merchant_id, "livemode": livemode}
    rows: list[dict] = []

    def emit(metric, source: dict, key="", count=0, amount=0):
        row = {"metric": metric, "key": key or "", "count": count or 0, "amount": amount or 0}
        if by_merchant:
            row.update(merchant_id=source["merchant_id"], livemode=source["livemode"])
        rows.append(row)

    intent = _model("intents.PaymentIntent")
    if intent is not None:
        for r in (
            _scoped(intent, **scope)
            .filter(status="succeeded")
            .values(*group, "currency")
            .annotate(n=Count("id"), total=Sum("amount_received"))
        ):
            emit(M.SUCCEEDED, r, r["currency"], r["n"], r["total"])
    charge = _model("intents.Charge")
    if charge is not None:
        ok = ["authorized", "succeeded", "canceled"]
        for r in _grouped(
            _scoped(charge, **scope),
            group,
            attempts=Count("id", filter=Q(status__in=[*ok, "failed"])),
            authorized=Count("id", filter=Q(status__in=ok)),
        ):
            emit(M.ATTEMPTS, r, count=r["attempts"])
            emit(M.AUTHORIZED, r, count=r["authorized"])
        reason = "decline_code" if _has(charge, "decline_code") else "failure_code"
        for r in (
            _scoped(charge, **scope).filter(status="failed").values(*group, reason).annotate(n=Count("id"))
        ):
            emit(M.DECLINES, r, r[reason] or "unspecified", r["n"])
    refund = _model("refunds.Refund")
    if refund is not None:
        for r in (
            _scoped(refund, **scope)
            .exclude(status__in=["failed", "canceled"])
            .values(*group, "currency")
            .annotate(n=Count("id"), total=Sum("amount"))
        ):
            emit(M.REFUNDS, r, r["currency"], r["n"], r["total"])
    delivery = _model("webhooks.Delivery")
    if delivery is not None:
        for r in _grouped(
            _scoped(delivery, **scope),
            group,
            total=Count("id", filter=~Q(status="pending")),
            failed=Count("id", filter=Q(status="failed")),
        ):
            emit(M.DELIVERIES, r, count=r["total"])
            emit(M.DELIVERIES_FAILED, r, count=r["failed"])
    return rows


def _rolled_up(first_day: date, last_day: date, *, merchant_id, livemode) -> list[dict] | None:
    """Roll-up rows for [first_day, last_day], or None if a day of it was never rolled up."""
    from .models import DailyMetric, RolledUpDay

    if _model("reporting.DailyMetric") is None:
        return None
    wanted = (last_day - first_day).days + 1
    if RolledUpDay.objects.filter(day__range=(first_day, last_day)).count() != wanted:
        return None
    qs = DailyMetric.objects.filter(day__range=(first_day, last_day))
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    if livemode is not None:
        qs = qs.filter(livemode=livemode)
    return list(qs.values("metric", "key").annotate(count=Sum("count"), amount=Sum("amount")).order_by())


@dataclass
class DashboardFigures:
    period: str
    since: object
    volume_by_currency: list[dict] = field(default_factory=list)  # currency, amount, count
    attempts: int = 0
    authorized: int = 0
    declines: list[dict] = field(default_factory=list)  # reason, count
    refunds_by_currency: list[dict] = field(default_factory=list)  # currency, amount, count
    refunds_awaiting_approval: int = 0
    payouts: list[dict] = field(default_factory=list)  # status, currency, amount, count
    deliveries: int = 0
    deliveries_failed: int = 0
    approvals_pending: int = 0
    from_rollups: bool = False
    missing: list[str] = field(default_factory=list)

    @property
    def authorization_rate(self) -> float | None:
        return None if not self.attempts else round(100 * self.authorized / self.attempts, 1)

    @property
    def webhook_failure_rate(self) -> float | None:
        return None if not self.deliveries else round(100 * self.deliveries_failed / self.deliveries, 1)


def dashboard_figures(
    *, period: str = "today", merchant_id: int | None = None, livemode=None
) -> DashboardFigures:
    """Today is aggregated live; earlier days of the period come from the daily roll-ups when every
    one of them is rolled up (else they are aggregated live too)."""
    from .models import DailyMetric

    M = DailyMetric.Metric
    period = period if period in PERIODS else "today"
    now = timezone.now()
    since = period_start(period, now)
    today = now.astimezone(UTC).date()
    figures = DashboardFigures(period=period, since=since)
    rows = aggregate_metrics(_day_start(today), merchant_id=merchant_id, livemode=livemode)
    if period != "today":
        past = _rolled_up(since.date(), today - timedelta(days=1), merchant_id=merchant_id, livemode=livemode)
        figures.from_rollups = past is not None
        if past is None:
            past = aggregate_metrics(since, _day_start(today), merchant_id=merchant_id, livemode=livemode)
        rows += past

    totals: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        slot = totals.setdefault((r["metric"], r["key"]), [0, 0])
        slot[0] += r["count"] or 0
        slot[1] += r["amount"] or 0

    def keyed(metric):
        out = [
            {"currency": key, "count": c, "amount": a}
            for (m, key), (c, a) in totals.items()
            if m == metric and c
        ]
        return sorted(out, key=lambda x: -x["count"])

    figures.volume_by_currency = keyed(M.SUCCEEDED)
    figures.refunds_by_currency = keyed(M.REFUNDS)
    figures.attempts = totals.get((M.ATTEMPTS, ""), [0, 0])[0]
    figures.authorized = totals.get((M.AUTHORIZED, ""), [0, 0])[0]
    figures.deliveries = totals.get((M.DELIVERIES, ""), [0, 0])[0]
    figures.deliveries_failed = totals.get((M.DELIVERIES_FAILED, ""), [0, 0])[0]
    figures.declines = sorted(
        ({"reason": key, "count": c} for (m, key), (c, _a) in totals.items() if m == M.DECLINES and c),
        key=lambda x: -x["count"],
    )[:8]
    for label, name in (
        ("payments", "intents.PaymentIntent"),
        ("refunds", "refunds.Refund"),
        ("payouts", "payouts.Payout"),
    ):
        if _model(name) is None:
            figures.missing.append(label)

    refund = _model("refunds.Refund")
    if refund is not None:
        waiting = refund.objects.filter(status="requires_approval")
        if merchant_id is not None:
            waiting = waiting.filter(merchant_id=merchant_id)
        figures.refunds_awaiting_approval = waiting.count()
    payout = _model("payouts.Payout")
    if payout is not None and _has(payout, "status") and _has(payout, "amount") and _has(payout, "currency"):
        qs = payout.objects.filter(status__in=["pending", "failed"]).order_by()
        if merchant_id is not None and _has(payout, "merchant"):
            qs = qs.filter(merchant_id=merchant_id)
        figures.payouts = list(
            qs.values("status", "currency")
            .annotate(amount=Sum("amount"), count=Count("id"))
            .order_by("status")
        )
    approval = _model("approvals.ApprovalRequest")
    if approval is not None:
        qs = approval.objects.filter(status="pending")
        if merchant_id is not None:
            qs = qs.filter(merchant_id=merchant_id)
        figures.approvals_pending = qs.count()
    return figures
