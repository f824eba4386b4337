"""Publishing tasks to the broker from services: fail fast, never fail the caller.

Every publish here happens after the state it refers to is committed. If the broker is down the
publish is given up quickly and logged; the outbox and delivery sweepers re-drive whatever was
not published, so nothing depends on a publish succeeding.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import KombuError, OperationalError

from ..models import Delivery
from ..tasks import deliveries_send_task, events_wake_task

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


# --- coalesced wake-ups of the fan-out (issue 21, item 3) -------------------------------------

WAKE_TTL_SECONDS = 2  # a flag whose wake-up was lost stops coalescing after this


def _wake_key() -> str:
    """The flag that says "a wake-up of the fan-out is published and not yet taken", or "" when
    wake-ups are not coalesced: eager tasks (tests, the embedded demo) and a cache that is not
    shared between processes (the flag must be seen by the worker that clears it)."""
    conf = events_wake_task.app.conf
    backend = settings.CACHES["default"]["BACKEND"].lower()
    if conf.task_always_eager or "redis" not in backend:
        return ""
    queue = setting("WEBHOOKS_TASK_QUEUE", "") or conf.task_default_queue
    return f"webhooks:wake:{queue}"


def events_wake(event_ids: list[int]) -> bool:
    """After a commit of events: one wake-up message for the fan-out, unless one is already on
    its way (the flag is set). Sound because the worker clears the flag *before* it reads the
    events not fanned out: a commit that found the flag set happened before that clearing, so
    that read sees its events. The message still names its own events (fanned out first); a
    lost message leaves its events to the outbox sweeper, and its flag expires after
    WAKE_TTL_SECONDS. False (logged) when the broker is unavailable."""
    key = _wake_key()
    if key:
        try:
            if not cache.add(key, 1, WAKE_TTL_SECONDS):
                return True
        except Exception:  # the cache is down: publish without coalescing
            logger.warning("webhooks: wake-up flag unavailable, publishing uncoalesced", exc_info=True)
            key = ""
    published = task_publish(events_wake_task, list(event_ids), key)
    if not published and key:
        wake_clear(key)  # the next commit tries again
    return published


def wake_clear(key: str) -> None:
    """A worker took the wake-up flagged by `key`: commits from now on publish again."""
    if not key:
        return
    try:
        cache.delete(key)
    except Exception:  # the flag expires on its own
        logger.warning("webhooks: wake-up flag %s not cleared", key, exc_info=True)
