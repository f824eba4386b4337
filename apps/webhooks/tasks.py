"""Thin Celery tasks: ids in, services do the work. All idempotent (safe to run twice).

Each task imports its service inside its body: the services import these tasks at module level to
enqueue them, so the import graph has one direction. acks_late and ignore_result are the global
defaults (config/settings.py)."""

from celery import shared_task


@shared_task
def event_fan_out_task(event_id: int) -> int:
    from .services import events_fan_out_dispatch

    return events_fan_out_dispatch([event_id])


@shared_task
def events_fan_out_task(event_ids: list[int]) -> int:
    """The events one transaction wrote, published as one message; each fans out on its own
    (idempotently), so a retry after a partial run repeats nothing."""
    from .services import events_fan_out_dispatch

    return events_fan_out_dispatch(list(event_ids))


@shared_task
def events_wake_task(event_ids: list[int], wake_key: str = "") -> int:
    """A coalesced wake-up (services/publishing.py `events_wake`): clears its flag, fans out the
    events it names, then every event committed and not yet fanned out (pulled from the
    database in batches, SKIP LOCKED, so two workers share them)."""
    from .services import events_wake_dispatch

    return events_wake_dispatch(list(event_ids), wake_key=wake_key)


@shared_task(time_limit=120)
def deliveries_send_task(delivery_ids: list[int]) -> int:
    """Claims and sends the due ones among `delivery_ids` (services/sending.py). In a worker it
    returns once the requests are handed to the process's async sender."""
    from .services import deliveries_send

    return len(deliveries_send(delivery_ids=delivery_ids))


# Messages published before issue 21's batch task (one delivery each) still drain.
@shared_task(time_limit=120)
def delivery_send_task(delivery_id: int) -> int:
    from .services import deliveries_send

    return len(deliveries_send(delivery_ids=[delivery_id]))


@shared_task
def deliveries_sweep_task() -> int:
    from .services import deliveries_sweep

    return deliveries_sweep()


@shared_task
def events_outbox_sweep_task() -> int:
    from .services import events_outbox_sweep

    return events_outbox_sweep()


@shared_task
def events_purge_task() -> int:
    from .services import events_purge

    return events_purge()
