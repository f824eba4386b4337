BEAT_SCHEDULE = {
    "intents.expire_authorizations": {
        "task": "apps.intents.tasks.expire_authorizations_task",
        "schedule": 900.0,
    },
    "intents.recheck_attempts": {"task": "apps.intents.tasks.recheck_attempts_task", "schedule": 60.0},
}
