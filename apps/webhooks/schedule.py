BEAT_SCHEDULE = {
    # Retries are driven by Delivery.next_attempt_at; this is what sends them when due.
    "webhooks.deliveries_sweep": {"task": "apps.webhooks.tasks.deliveries_sweep_task", "schedule": 5.0},
    # Events whose fan-out was never published (broker outage) or whose message was lost.
    "webhooks.events_outbox_sweep": {
        "task": "apps.webhooks.tasks.events_outbox_sweep_task",
        "schedule": 15.0,
    },
    # 30-day event retention.
    "webhooks.events_purge": {"task": "apps.webhooks.tasks.events_purge_task", "schedule": 3600.0},
}
