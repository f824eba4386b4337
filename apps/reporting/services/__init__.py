"""Every write of reporting: roll-ups, report runs, settlement sign-offs (re-exported here)."""

from .report_runs import report_parameters_normalize, report_run_create, report_run_execute
from .rollups import (
    daily_metrics_rollup,
    daily_metrics_rollup_recent,
    metric_hours_rollup,
    metric_hours_rollup_recent,
)
from .schedules import (
    report_schedule_create,
    report_schedule_delete,
    report_schedule_run_due,
    report_schedule_set_active,
    report_schedules_run_due,
)
from .settlement import settlement_sign_off

__all__ = [
    "daily_metrics_rollup",
    "daily_metrics_rollup_recent",
    "metric_hours_rollup",
    "metric_hours_rollup_recent",
    "report_parameters_normalize",
    "report_run_create",
    "report_run_execute",
    "report_schedule_create",
    "report_schedule_delete",
    "report_schedule_run_due",
    "report_schedule_set_active",
    "report_schedules_run_due",
    "settlement_sign_off",
]
