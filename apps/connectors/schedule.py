BEAT_SCHEDULE = {
    "connectors.probe_circuits": {"task": "apps.connectors.tasks.probe_circuits_task", "schedule": 30.0},
}
