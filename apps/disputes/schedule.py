BEAT_SCHEDULE = {
    "disputes.run_deadlines": {"task": "apps.disputes.tasks.run_deadlines_task", "schedule": 300.0},
}
