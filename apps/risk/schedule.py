BEAT_SCHEDULE = {
    "risk.labels_from_disputes": {
        "task": "apps.risk.tasks.risk_labels_from_disputes_task",
        "schedule": 900.0,
    },
}
