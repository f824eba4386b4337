BEAT_SCHEDULE = {
    "devtools.simulations_run_due": {
        "task": "apps.devtools.tasks.simulations_run_due_task",
        "schedule": 15.0,
    },
}
