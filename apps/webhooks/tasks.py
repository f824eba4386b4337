"""Thin Celery tasks: ids in, services do the work. All idempotent (safe to run twice)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def event_fan_out_task(event_id: int) -> int:
    return len(services.event_fan_out(event_id=event_id))


@shared_task(acks_late=True, ignore_result=True)
def events_fan_out_task(event_ids: list[int]) -> int:
    """The events one transaction wrote, published as one message; each fans out on its own
    (idempotently), so a retry after a partial run repeats nothing."""
    return sum(len(services.event_fan_out(event_id=event_id)) for event_id in event_ids)


@shared_task(acks_late=True, ignore_result=True, time_limit=120)
def delivery_send_task(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def deliveries_sweep_task() -> int:
    return services.deliveries_sweep()


@shared_task(acks_late=True, ignore_result=True)
def events_outbox_sweep_task() -> int:
    return services.events_outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def events_purge_task() -> int:
    return services.events_purge()
