"""Beat entries name tasks that exist: a task renamed without its schedule.py entry would make the
beat publish messages no worker knows."""

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app, collect_beat_schedule


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = collect_beat_schedule()
    assert {"core.scheduler_heartbeat", "webhooks.deliveries_sweep"} <= set(schedule)
    unknown = {key: entry["task"] for key, entry in schedule.items() if entry["task"] not in app.tasks}
    assert unknown == {}


@pytest.mark.django_db
def test_a_beat_row_saved_under_a_task_old_path_is_updated_by_the_scheduler():
    """The entry key is the PeriodicTask name: the DatabaseScheduler rewrites that row's task
    path from schedule.py when it starts, so a renamed task keeps its existing beat row."""
    every_hour = IntervalSchedule.objects.create(every=3600, period=IntervalSchedule.SECONDS)
    name = "core.purge_idempotency_keys"
    PeriodicTask.objects.create(name=name, task="apps.core.tasks.purge_idempotency_keys", interval=every_hour)
    # What DatabaseScheduler.setup_schedule does for each entry of the beat schedule.
    DatabaseScheduler.Entry.from_entry(name, app=app, **collect_beat_schedule()[name])
    assert list(PeriodicTask.objects.filter(name=name).values_list("task", flat=True)) == [
        "apps.core.tasks.idempotency_keys_purge_task"
    ]
