BEAT_SCHEDULE = {
    "refunds.recheck_pending": {"task": "apps.refunds.tasks.recheck_pending_task", "schedule": 60.0},
}
