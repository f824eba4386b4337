BEAT_SCHEDULE = {
    "devtools.simulations_run_due": {
        "task": "apps.devtools.tasks.simulations_run_due_task",
        "schedule": 15.0,
    },
    "devtools.bulk_jobs_resume": {"task": "apps.devtools.tasks.bulk_jobs_resume_task", "schedule": 60.0},
    # Test clocks are deleted 30 days after their creation (Stripe's deletes_after).
    "devtools.test_clocks_expire": {
        "task": "apps.devtools.tasks.test_clocks_expire_task",
        "schedule": 3600.0,
    },
}
