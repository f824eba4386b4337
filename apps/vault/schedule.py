BEAT_SCHEDULE = {
    "vault.purge_expired_tokens": {"task": "apps.vault.tasks.token_purge_expired_task", "schedule": 3600.0},
}
