"""Every write of reporting: roll-ups, report runs, settlement sign-offs (re-exported here)."""

from .report_runs import report_parameters_normalize, report_run_create, report_run_execute
from .rollups import (
    daily_metrics_rollup,
    daily_metrics_rollup_recent,
    metric_hours_rollup,
    metric_hours_rollup_recent,
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
    "settlement_sign_off",
]
