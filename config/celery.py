"""The Celery app. Periodic schedules are collected from each app's `schedule.py` (a plain dict)
and synced by django-celery-beat's DatabaseScheduler into its tables, where staff can see them."""

import importlib
import os
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clearhouse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"


def collect_beat_schedule() -> dict:
    schedule: dict = {}
    for path in sorted(APPS_DIR.glob("*/schedule.py")):
        module = importlib.import_module(f"apps.{path.parent.name}.schedule")
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


app.conf.beat_schedule = collect_beat_schedule()


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender, **kwargs):
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_demo_secrets(**kwargs):
    """CLEARHOUSE_ENV=production with a demo secret: worker and beat do not start
    (apps.core.checks). SystemExit, because Celery logs and ignores a receiver's exceptions."""
    from django.core.exceptions import ImproperlyConfigured

    from apps.core.checks import refuse_demo_secrets

    try:
        refuse_demo_secrets()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from exc
