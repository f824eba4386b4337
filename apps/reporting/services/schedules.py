"""Scheduled reports: a report type run daily, weekly or monthly over the last whole period of
the schedule's time zone (so the daily settlement report finance signs off arrives each morning,
in the merchant's days). Beat calls `report_schedules_run_due` every few minutes; each due
schedule is locked, its period becomes a report run (`report_run_create`), and it moves on to
the next period in the same transaction — so two beats, or a retried task, never make two runs
of one period, and a scheduler that was down catches up period by period.

Delivery: the run's `reporting.report_run.succeeded` event carries `result.url`, a signed link
bound to the run's merchant that expires (REPORT_FILE_LINK_TTL_SECONDS); the webhook machinery
signs and retries its delivery to `webhook_endpoint`, which must subscribe to that event type.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record

from ..errors import (
    ReportColumnUnknown,
    ReportFormatInvalid,
    ReportParameterUnknown,
    ReportTypeUnknown,
    ScheduleEndpointNotSubscribed,
    ScheduleFrequencyInvalid,
)
from ..models import ReportRun, ReportSchedule
from ..report_types import report_type_get
from ..selectors import data_available, reporting_timezone, timezone_param
from ..writers import WRITERS
from .report_runs import report_run_create

logger = logging.getLogger("clearhouse.reporting")

SUCCEEDED_EVENT = "reporting.report_run.succeeded"
MAX_CATCH_UP = 62  # periods one call runs for one schedule (two months of days)


# --- periods --------------------------------------------------------------------------------


def _next_boundary(day: date, frequency: str) -> date:
    if frequency == ReportSchedule.Frequency.DAILY:
        return day + timedelta(days=1)
    if frequency == ReportSchedule.Frequency.WEEKLY:
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _period_start(day: date, frequency: str) -> date:
    if frequency == ReportSchedule.Frequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    if frequency == ReportSchedule.Frequency.MONTHLY:
        return day.replace(day=1)
    return day


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def period_containing(moment: datetime, *, frequency: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the local day / ISO week / month holding `moment`, as UTC instants
    (local midnights: a DST day is 23 or 25 hours long)."""
    first = _period_start(moment.astimezone(tz).date(), frequency)
    return _midnight(first, tz), _midnight(_next_boundary(first, frequency), tz)


def period_after(end: datetime, *, frequency: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    first = end.astimezone(tz).date()
    return _midnight(first, tz), _midnight(_next_boundary(first, frequency), tz)


# --- create, change -------------------------------------------------------------------------


def _check(*, merchant, livemode, report_type, format, frequency, parameters, webhook_endpoint):
    rtype = report_type_get(report_type) if isinstance(report_type, str) else None
    if rtype is None:
        raise ReportTypeUnknown(value=report_type)
    if format not in WRITERS:
        raise ReportFormatInvalid(value=format)
    if frequency not in ReportSchedule.Frequency.values:
        raise ScheduleFrequencyInvalid(value=str(frequency)[:16])
    parameters = dict(parameters or {})
    known = ("columns", *rtype.filters)
    for name in parameters:
        if name not in known:
            raise ReportParameterUnknown(
                name=name, report=rtype.id, known=", ".join(known), param=f"parameters[{name}]"
            )
    columns = parameters.get("columns")
    if columns not in (None, [], ""):
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ReportColumnUnknown(report=rtype.id, name=str(columns)[:80])
        for name in columns:
            if name not in rtype.column_names:
                raise ReportColumnUnknown(report=rtype.id, name=name)
    endpoint = None
    if webhook_endpoint:
        from apps.webhooks.selectors import endpoint_get, endpoint_matches

        endpoint = endpoint_get(merchant=merchant, livemode=livemode, id=webhook_endpoint)
        if not endpoint_matches(endpoint, SUCCEEDED_EVENT):
            raise ScheduleEndpointNotSubscribed(endpoint=endpoint.public_id)
    return rtype, parameters, endpoint


def report_schedule_create(
    *,
    merchant,
    livemode: bool,
    report_type: str,
    format: str = "csv",
    frequency: str = "daily",
    timezone_name: str | None = None,
    parameters=None,
    webhook_endpoint: str | None = None,
    delay_seconds: int = 3600,
    actor: Actor,
    now=None,
) -> ReportSchedule:
    """The first period is the one under way: its run is made `delay_seconds` after it ends."""
    rtype, parameters, endpoint = _check(
        merchant=merchant, livemode=livemode, report_type=report_type, format=format,
        frequency=frequency, parameters=parameters, webhook_endpoint=webhook_endpoint,
    )  # fmt: skip
    tz_name = timezone_name or reporting_timezone(merchant)
    tz = timezone_param(tz_name, param="timezone")
    start, end = period_containing(now or timezone.now(), frequency=frequency, tz=tz)
    with transaction.atomic():
        schedule = ReportSchedule.objects.create(
            merchant=merchant, livemode=livemode, report_type=rtype.id, format=format, frequency=frequency,
            timezone=tz_name, parameters=parameters, webhook_endpoint=endpoint, delay_seconds=delay_seconds,
            next_interval_start=start, next_interval_end=end,
            next_run_at=end + timedelta(seconds=delay_seconds), created_by=actor.label,
        )  # fmt: skip
        audit_record(actor=actor, action="report_schedule.created", merchant=merchant, obj=schedule,
                     after={"report_type": rtype.id, "format": format, "frequency": frequency,
                            "timezone": tz_name, "parameters": parameters,
                            "webhook_endpoint": endpoint.public_id if endpoint else None})  # fmt: skip
    return schedule


def report_schedule_set_active(*, schedule_id: int, active: bool, actor: Actor, now=None) -> ReportSchedule:
    """Pause or resume. A resumed schedule starts again with the period under way (the periods
    it was paused through are not run: ask for them as report runs)."""
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update().get(pk=schedule_id)
        if schedule.active == active:
            return schedule
        schedule.active = active
        fields = ["active", "updated_at"]
        if active:
            tz = ZoneInfo(schedule.timezone)
            start, end = period_containing(now or timezone.now(), frequency=schedule.frequency, tz=tz)
            schedule.next_interval_start, schedule.next_interval_end = start, end
            schedule.next_run_at = end + timedelta(seconds=schedule.delay_seconds)
            fields += ["next_interval_start", "next_interval_end", "next_run_at"]
        schedule.save(update_fields=fields)
        audit_record(actor=actor, action="report_schedule.resumed" if active else "report_schedule.paused",
                     merchant=schedule.merchant, obj=schedule)  # fmt: skip
    return schedule


def report_schedule_delete(*, schedule_id: int, actor: Actor) -> None:
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update().get(pk=schedule_id)
        audit_record(actor=actor, action="report_schedule.deleted", merchant=schedule.merchant, obj=schedule,
                     before={"report_type": schedule.report_type, "frequency": schedule.frequency})  # fmt: skip
        schedule.delete()


# --- running --------------------------------------------------------------------------------


def _run_period(schedule: ReportSchedule, *, now) -> ReportRun | None:
    available_start, _ = data_available(merchant=schedule.merchant, now=now)
    start = max(schedule.next_interval_start, available_start)
    parameters = {
        **schedule.parameters,
        "interval_start": int(start.timestamp()),
        "interval_end": int(schedule.next_interval_end.timestamp()),
        "timezone": schedule.timezone,
    }
    try:
        with transaction.atomic():
            run = report_run_create(
                merchant=schedule.merchant, livemode=schedule.livemode, report_type=schedule.report_type,
                format=schedule.format, parameters=parameters,
                actor=Actor.system(f"report schedule {schedule.public_id}"),
            )  # fmt: skip
            ReportRun.objects.filter(pk=run.pk).update(schedule=schedule)
        schedule.last_error = ""
        return run
    except Exception as exc:  # a type withdrawn, a column renamed: recorded, the schedule moves on
        logger.warning("report schedule %s: period not run: %s", schedule.public_id, exc)
        schedule.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        return None


def report_schedule_run_due(*, schedule_id: int, now=None) -> list[int]:
    """The runs of one schedule's due periods (locked: a concurrent call waits, then finds
    nothing due)."""
    now = now or timezone.now()
    made = []
    with transaction.atomic():
        schedule = (
            ReportSchedule.objects.select_for_update()
            .select_related("merchant")
            .filter(pk=schedule_id)
            .first()
        )
        if schedule is None or not schedule.active:
            return []
        tz = ZoneInfo(schedule.timezone)
        for _ in range(MAX_CATCH_UP):
            if schedule.next_run_at > now:
                break
            run = _run_period(schedule, now=now)
            if run is not None:
                made.append(run.pk)
            schedule.last_run_at = now
            start, end = period_after(schedule.next_interval_end, frequency=schedule.frequency, tz=tz)
            schedule.next_interval_start, schedule.next_interval_end = start, end
            schedule.next_run_at = end + timedelta(seconds=schedule.delay_seconds)
        schedule.save(update_fields=["next_interval_start", "next_interval_end", "next_run_at", "last_run_at",
                                     "last_error", "updated_at"])  # fmt: skip
    return made


def report_schedules_run_due(*, now=None) -> int:
    """Beat's entry: every active schedule whose next run is due. Returns the runs made."""
    now = now or timezone.now()
    due = ReportSchedule.objects.filter(active=True, next_run_at__lte=now).order_by("next_run_at")
    return sum(
        len(report_schedule_run_due(schedule_id=pk, now=now)) for pk in due.values_list("pk", flat=True)
    )
