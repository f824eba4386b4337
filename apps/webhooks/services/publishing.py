"""Publishing tasks to the broker from services: fail fast, never fail the caller.

Every publish here happens after the state it refers to is committed. If the broker is down the
publish is given up quickly and logged; the outbox and delivery sweepers re-drive whatever was
not published, so nothing depends on a publish succeeding.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError, OperationalError

from ..models import Delivery
from ..tasks import deliveries_send_task

logger = logging.getLogger("clearhouse.webhooks")

# Fail fast when the broker is down: the sweepers re-drive whatever was not published.
_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def setting(name: str, default):
    return getattr(settings, name, default)


def task_publish(task, *args) -> bool:
    """Publishes `task(*args)`; False (logged) when the broker is unavailable."""
    options = {}
    queue = setting("WEBHOOKS_TASK_QUEUE", "")
    if queue:
        options["queue"] = queue
    try:
        task.apply_async(args=args, retry=True, retry_policy=_PUBLISH_RETRY_POLICY, **options)
    except (OperationalError, KombuError, OSError) as exc:
        logger.warning("broker unavailable, %s(%s) left for the sweeper: %s", task.name, args, exc)
        return False
    return True


def after_commit(fn, *args) -> None:
    """Runs fn(*args) once the current transaction commits; a failure there is logged and never
    reaches the caller, whose change is already committed."""

    def callback():
        fn(*args)

    callback.__qualname__ = f"webhooks.{fn.__name__}"
    transaction.on_commit(callback, robust=True)


PUBLISH_CHUNK = 50  # deliveries per send task: one claim and one recording group for them


def deliveries_publish(ids: list[int]) -> None:
    """One send task per chunk of deliveries; on the first failed publish the rest are handed to
    the sweeper."""
    for index in range(0, len(ids), PUBLISH_CHUNK):
        if not task_publish(deliveries_send_task, list(ids[index : index + PUBLISH_CHUNK])):
            # Let the sweeper pick the rest up at once rather than after the re-enqueue delay.
            Delivery.objects.filter(pk__in=ids[index:]).update(enqueued_at=None)
            return
