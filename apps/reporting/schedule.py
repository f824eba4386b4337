BEAT_SCHEDULE = {
    "reporting.daily_metrics_rollup": {
        "task": "apps.reporting.tasks.daily_metrics_rollup_task",
        "schedule": 900.0,
    },
    "reporting.metric_hours_rollup": {
        "task": "apps.reporting.tasks.metric_hours_rollup_task",
        "schedule": 900.0,
    },
}
