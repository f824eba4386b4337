BEAT_SCHEDULE = {
    "approvals.resume": {"task": "apps.approvals.tasks.approvals_resume_task", "schedule": 60.0},
}
