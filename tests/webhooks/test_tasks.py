"""Beat entries name tasks that exist: a task renamed without its schedule.py entry would make the
beat publish messages no worker knows."""

from config.celery import app, collect_beat_schedule


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = collect_beat_schedule()
    assert {"core.scheduler_heartbeat", "webhooks.deliveries_sweep"} <= set(schedule)
    unknown = {key: entry["task"] for key, entry in schedule.items() if entry["task"] not in app.tasks}
    assert unknown == {}
