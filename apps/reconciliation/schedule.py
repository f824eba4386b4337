from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The settlement sync: every active connector's file of the previous UTC day, then a run over it.
    "reconciliation.settlement_sync": {
        "task": "apps.reconciliation.tasks.settlement_sync_task",
        "schedule": crontab(hour=4, minute=15),
    },
}
