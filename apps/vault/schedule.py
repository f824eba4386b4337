BEAT_SCHEDULE = {
    "vault.purge_expired_tokens": {"task": "apps.vault.tasks.token_purge_expired_task", "schedule": 3600.0},
    # Holds expire an hour after tokenization (CvcHold.TTL_SECONDS): swept within 5 minutes of it.
    "vault.purge_expired_cvc_holds": {
        "task": "apps.vault.tasks.cvc_hold_purge_expired_task",
        "schedule": 300.0,
    },
}
