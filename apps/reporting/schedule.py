BEAT_SCHEDULE = {
    "reporting.daily_metrics_rollup": {
        "task": "apps.reporting.tasks.daily_metrics_rollup_task",
        "schedule": 900.0,
    },
    "reporting.metric_hours_rollup": {
        "task": "apps.reporting.tasks.metric_hours_rollup_task",
        "schedule": 900.0,
    },
    # Scheduled reports: the periods that ended (plus their delay) become report runs.
    "reporting.report_schedules_run_due": {
        "task": "apps.reporting.tasks.report_schedules_run_due_task",
        "schedule": 300.0,
    },
}
