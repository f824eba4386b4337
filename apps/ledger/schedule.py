BEAT_SCHEDULE = {
    "ledger.settle_due": {"task": "apps.ledger.tasks.ledger_settle_due_task", "schedule": 300.0},
    "ledger.snapshots_refresh": {"task": "apps.ledger.tasks.ledger_snapshots_refresh_task", "schedule": 60.0},
    "ledger.exchange_rates_refresh": {
        "task": "apps.ledger.tasks.exchange_rates_refresh_task",
        "schedule": 3600.0,
    },
}
