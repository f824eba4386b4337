"""Read-only aggregates for the back-office dashboard.

Every figure is one aggregate query (GROUP BY in PostgreSQL, no per-row Python), filtered on
indexed columns (created_at, merchant) and asked of the owning app's selectors."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from apps.approvals.selectors import approval_pending_count
from apps.disputes.selectors import dispute_daily_counts
from apps.intents.selectors import (
    charge_attempt_daily_totals,
    charge_attempt_totals,
    charge_decline_totals,
    payment_intent_succeeded_totals,
)
from apps.payouts.selectors import payout_open_totals
from apps.refunds.selectors import refund_awaiting_approval_count, refund_totals
from apps.webhooks.selectors import delivery_outcome_totals

from .models import DailyMetric, RolledUpDay

PERIODS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days"}

PERIOD_DAYS = {"today": 1, "7d": 7, "30d": 30}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def period_start(period: str, now=None) -> datetime:
    """Periods are calendar days in UTC, today included: "7d" is today and the six days before."""
    today = (now or timezone.now()).astimezone(UTC).date()
    return _day_start(today - timedelta(days=PERIOD_DAYS.get(period, 1) - 1))


def _filters(*, start, end, merchant_id, livemode) -> dict:
    filters = {"created_at__gte": start}
    if end is not None:
        filters["created_at__lt"] = end
    if merchant_id is not None:
        filters["merchant_id"] = merchant_id
    if livemode is not None:
        filters["livemode"] = livemode
    return filters


def aggregate_metrics(start, end=None, *, merchant_id=None, livemode=None, by_merchant=False) -> list[dict]:
    """The dashboard's figures for [start, end) in long format: dicts of metric, key, count, amount
    (plus merchant_id and livemode when `by_merchant`). One GROUP BY query per source table."""
    metric = DailyMetric.Metric
    group = ["merchant_id", "livemode"] if by_merchant else []
    scope = {
        "filters": _filters(start=start, end=end, merchant_id=merchant_id, livemode=livemode),
        "group_by": group,
    }
    rows: list[dict] = []

    def emit(name, source: dict, key="", count=0, amount=0):
        row = {"metric": name, "key": key or "", "count": count or 0, "amount": amount or 0}
        if by_merchant:
            row.update(merchant_id=source["merchant_id"], livemode=source["livemode"])
        rows.append(row)

    for r in payment_intent_succeeded_totals(**scope):
        emit(metric.SUCCEEDED, r, r["currency"], r["count"], r["amount"])
    for r in charge_attempt_totals(**scope):
        emit(metric.ATTEMPTS, r, count=r["attempts"])
        emit(metric.AUTHORIZED, r, count=r["authorized"])
    for r in charge_decline_totals(**scope):
        emit(metric.DECLINES, r, r["reason"] or "unspecified", r["count"])
    for r in refund_totals(**scope):
        emit(metric.REFUNDS, r, r["currency"], r["count"], r["amount"])
    for r in delivery_outcome_totals(**scope):
        emit(metric.DELIVERIES, r, count=r["finished"])
        emit(metric.DELIVERIES_FAILED, r, count=r["failed"])
    return rows


def _rolled_up(first_day: date, last_day: date, *, merchant_id, livemode) -> list[dict] | None:
    """Roll-up rows for [first_day, last_day], or None if a day of it was never rolled up."""
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
    timezone: str = "UTC"  # the zone of the period's days
    # One row per day of the period, oldest first: day, attempts, authorized, authorization_rate
    # (None on a day without attempts: a gap, not 0 %), disputes_opened, disputes_due.
    daily: list[dict] = field(default_factory=list)

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
    one of them is rolled up (else they are aggregated live too).

    Days are those of the merchant's reporting time zone when the dashboard shows one merchant
    (the zone the metrics API and report runs default to, so the three agree on what "today" is);
    across all merchants they are UTC days. The roll-ups hold UTC days, so a merchant in another
    zone has its past days aggregated live."""
    from zoneinfo import ZoneInfo

    from .models import ReportingSettings

    metric = DailyMetric.Metric
    period = period if period in PERIODS else "today"
    now = timezone.now()
    tz_name = "UTC"
    if merchant_id is not None:
        tz_name = (
            ReportingSettings.objects.filter(merchant_id=merchant_id)
            .values_list("timezone", flat=True)
            .first()
            or "UTC"
        )
    tz = ZoneInfo(tz_name)
    today = now.astimezone(tz).date()
    today_start = datetime.combine(today, time.min, tzinfo=tz)
    since = datetime.combine(today - timedelta(days=PERIOD_DAYS.get(period, 1) - 1), time.min, tzinfo=tz)
    figures = DashboardFigures(period=period, since=since, timezone=tz_name)
    rows = aggregate_metrics(today_start, merchant_id=merchant_id, livemode=livemode)
    if period != "today":
        past = None
        if tz_name == "UTC":
            past = _rolled_up(
                since.date(), today - timedelta(days=1), merchant_id=merchant_id, livemode=livemode
            )
        figures.from_rollups = past is not None
        if past is None:
            past = aggregate_metrics(since, today_start, merchant_id=merchant_id, livemode=livemode)
        rows += past

    totals: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        slot = totals.setdefault((r["metric"], r["key"]), [0, 0])
        slot[0] += r["count"] or 0
        slot[1] += r["amount"] or 0

    def keyed(name):
        out = [
            {"currency": key, "count": c, "amount": a}
            for (m, key), (c, a) in totals.items()
            if m == name and c
        ]
        return sorted(out, key=lambda x: -x["count"])

    figures.volume_by_currency = keyed(metric.SUCCEEDED)
    figures.refunds_by_currency = keyed(metric.REFUNDS)
    figures.attempts = totals.get((metric.ATTEMPTS, ""), [0, 0])[0]
    figures.authorized = totals.get((metric.AUTHORIZED, ""), [0, 0])[0]
    figures.deliveries = totals.get((metric.DELIVERIES, ""), [0, 0])[0]
    figures.deliveries_failed = totals.get((metric.DELIVERIES_FAILED, ""), [0, 0])[0]
    figures.declines = sorted(
        ({"reason": key, "count": c} for (m, key), (c, _a) in totals.items() if m == metric.DECLINES and c),
        key=lambda x: -x["count"],
    )[:8]
    figures.daily = _daily_series(figures, today=today, tz=tz, merchant_id=merchant_id, livemode=livemode)
    figures.refunds_awaiting_approval = refund_awaiting_approval_count(merchant_id=merchant_id)
    figures.payouts = payout_open_totals(merchant_id=merchant_id)
    figures.approvals_pending = approval_pending_count(merchant_id=merchant_id)
    return figures


def _daily_series(figures: DashboardFigures, *, today: date, tz, merchant_id, livemode) -> list[dict]:
    """The period's per-day attempts and disputes, days as `dashboard_figures` counts them: closed
    days from the roll-ups when the totals came from them (one GROUP BY day on daily_metric_day),
    the rest live (one GROUP BY local day on charges' indexed created_at), disputes live (two
    GROUP BYs: the dispute tables are small and created_at / due_by are indexed)."""
    metric = DailyMetric.Metric
    first = figures.since.date()
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    attempts: dict[date, list[int]] = {}
    live_from = figures.since
    if figures.from_rollups:
        live_from = datetime.combine(today, time.min, tzinfo=tz)
        qs = DailyMetric.objects.filter(
            day__range=(first, today - timedelta(days=1)), metric__in=[metric.ATTEMPTS, metric.AUTHORIZED]
        )
        if merchant_id is not None:
            qs = qs.filter(merchant_id=merchant_id)
        if livemode is not None:
            qs = qs.filter(livemode=livemode)
        for r in qs.values("day", "metric").annotate(n=Sum("count")).order_by():
            attempts.setdefault(r["day"], [0, 0])[0 if r["metric"] == metric.ATTEMPTS else 1] += r["n"] or 0
    live = charge_attempt_daily_totals(
        filters=_filters(start=live_from, end=None, merchant_id=merchant_id, livemode=livemode), tz=tz
    )
    for r in live:
        slot = attempts.setdefault(r["day"], [0, 0])
        slot[0] += r["attempts"]
        slot[1] += r["authorized"]
    disputes = dispute_daily_counts(
        start=figures.since,
        end=datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz),
        tz=tz,
        merchant_id=merchant_id,
        livemode=livemode,
    )
    out = []
    for day in days:
        tried, authorized = attempts.get(day, [0, 0])
        counts = disputes.get(day, {"opened": 0, "due": 0})
        out.append(
            {
                "day": day,
                "attempts": tried,
                "authorized": authorized,
                "authorization_rate": round(100 * authorized / tried, 1) if tried else None,
                "disputes_opened": counts["opened"],
                "disputes_due": counts["due"],
            }
        )
    return out


# --- merchant-facing reads (metrics API, report runs) ---------------------------------------


def timezone_param(name, *, param: str):
    """An IANA zone by name, or 400 naming `param`."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .errors import TimezoneUnknown

    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise TimezoneUnknown(value=str(name)[:64], param=param)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimezoneUnknown(value=name, param=param) from None


def reporting_timezone(merchant) -> str:
    """The merchant's reporting time zone (UTC unless set): the default of the API and exports."""
    from .models import ReportingSettings

    row = ReportingSettings.objects.filter(merchant=merchant).values_list("timezone", flat=True).first()
    return row or "UTC"


def data_available(*, merchant, now) -> tuple[datetime, datetime]:
    """[start, end) of the data a report may cover: from the UTC midnight before the day the
    merchant was created (so that local day is whole in every time zone) to the end of the
    current second. An interval outside it is refused rather than silently cut."""
    start = _day_start(merchant.created_at.astimezone(UTC).date() - timedelta(days=1))
    return start, now.replace(microsecond=0) + timedelta(seconds=1)


def report_run_get(*, merchant, livemode: bool, id: str):
    from apps.core.selectors import tenant_get

    from .models import ReportRun

    return tenant_get(
        ReportRun.objects.all(), merchant=merchant, livemode=livemode, id=id, resource="reporting.report_run"
    )


def report_run_list(*, merchant, livemode: bool):
    from .models import ReportRun

    return ReportRun.objects.filter(merchant=merchant, livemode=livemode)


def report_schedule_list(*, merchant, livemode: bool):
    from .models import ReportSchedule

    return ReportSchedule.objects.filter(merchant=merchant, livemode=livemode).select_related(
        "webhook_endpoint"
    )


def report_schedule_get(*, merchant, livemode: bool, id: str):
    from apps.core.selectors import tenant_get

    from .models import ReportSchedule

    return tenant_get(ReportSchedule.objects.select_related("webhook_endpoint"), merchant=merchant,
                      livemode=livemode, id=id, resource="reporting.report_schedule")  # fmt: skip


def report_file_link_check(run, *, token: str, now) -> None:
    """The token must be this run's, this merchant's and mode's, and unexpired."""
    from django.core import signing

    from .errors import ReportFileLinkExpired, ReportFileLinkInvalid
    from .payloads import FILE_LINK_SALT

    try:
        claims = signing.loads(token, salt=FILE_LINK_SALT)
    except signing.BadSignature:
        raise ReportFileLinkInvalid() from None
    if not isinstance(claims, dict) or (
        claims.get("run"),
        claims.get("merchant"),
        claims.get("livemode"),
    ) != (run.public_id, run.merchant.public_id, run.livemode):
        raise ReportFileLinkInvalid()
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= int(now.timestamp()):
        raise ReportFileLinkExpired()
