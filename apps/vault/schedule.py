BEAT_SCHEDULE = {
    "vault.purge_expired_tokens": {"task": "apps.vault.tasks.purge_expired_tokens", "schedule": 3600.0},
}
