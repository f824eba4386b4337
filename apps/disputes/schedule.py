BEAT_SCHEDULE = {
    "disputes.mark_past_due": {"task": "apps.disputes.tasks.mark_past_due_task", "schedule": 300.0},
}
