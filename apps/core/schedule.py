BEAT_SCHEDULE = {
    "core.purge_idempotency_keys": {"task": "apps.core.tasks.purge_idempotency_keys", "schedule": 3600.0},
    "core.scheduler_heartbeat": {"task": "apps.core.tasks.scheduler_heartbeat", "schedule": 15.0},
}
