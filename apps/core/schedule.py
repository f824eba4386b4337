BEAT_SCHEDULE = {
    "core.purge_idempotency_keys": {
        "task": "apps.core.tasks.idempotency_keys_purge_task",
        "schedule": 3600.0,
    },
    "core.scheduler_heartbeat": {"task": "apps.core.tasks.scheduler_heartbeat_task", "schedule": 15.0},
}
