BEAT_SCHEDULE = {
    "payouts.submit_due": {"task": "apps.payouts.tasks.payouts_submit_due_task", "schedule": 60.0},
    "payouts.settle_due": {"task": "apps.payouts.tasks.payouts_settle_due_task", "schedule": 60.0},
    "payouts.run_scheduled": {"task": "apps.payouts.tasks.payouts_run_scheduled_task", "schedule": 3600.0},
}
