"""Demo report runs for `manage.py load_demo`: one completed run of every report type over the
demo merchant's whole history, after the payments, refunds and payouts (ORDER). Idempotent."""

from django.utils import timezone

from apps.audit.services import Actor

from .models import ReportRun
from .report_types import report_types
from .selectors import data_available
from .services import report_run_create, report_run_execute, report_schedule_create

ORDER = 90
ACTOR = Actor.system("load_demo")
FORMATS = ("csv", "parquet", "jsonl")


def load(merchant, stdout) -> None:
    if ReportRun.objects.filter(merchant=merchant).exists():
        return
    start, end = data_available(merchant=merchant, now=timezone.now())
    done = 0
    for index, rtype in enumerate(report_types()):
        run = report_run_create(
            merchant=merchant,
            livemode=False,
            report_type=rtype.id,
            format=FORMATS[index % len(FORMATS)],
            parameters={"interval_start": int(start.timestamp()), "interval_end": int(end.timestamp())},
            actor=ACTOR,
        )
        # Run it here, so the demo shows finished runs even before a worker starts (the queued
        # task then finds the run finished and leaves it).
        if report_run_execute(report_run_id=run.pk) == ReportRun.Status.SUCCEEDED:
            done += 1
    stdout.write(f"  reporting: {done} report run(s) succeeded, one per report type\n")
    # Finance's daily settlement report, each morning for the day before (no endpoint: the
    # merchant adds one subscribed to reporting.report_run.succeeded to have it delivered).
    report_schedule_create(merchant=merchant, livemode=False, report_type="settlement.daily.1", format="csv",
                           frequency="daily", actor=ACTOR)  # fmt: skip
    stdout.write("  reporting: a daily settlement.daily.1 schedule\n")
