BEAT_SCHEDULE = {
    "disputes.run_deadlines": {"task": "apps.disputes.tasks.run_deadlines_task", "schedule": 300.0},
    "disputes.sandbox_notifications": {
        "task": "apps.disputes.tasks.deliver_sandbox_notifications_task",
        "schedule": 10.0,
    },
}
