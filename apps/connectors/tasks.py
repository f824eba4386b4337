"""Thin periodic tasks of connectors (the work is in services, imported inside each task)."""

from celery import shared_task


@shared_task
def probe_circuits_task() -> dict:
    """Health-checks connectors whose open circuit has cooled down; a success closes it."""
    from .services import connectors_probe_circuits

    return connectors_probe_circuits()
