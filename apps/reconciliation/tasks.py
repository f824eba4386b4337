"""Celery tasks (thin: they take ids and call the services, imported in their body)."""

from celery import shared_task


@shared_task(acks_late=True, max_retries=0)
def reconciliation_run_task(run_id: int) -> str:
    from .services.runs import reconciliation_run_execute

    return reconciliation_run_execute(run_id=run_id).status


@shared_task(acks_late=True, max_retries=3, default_retry_delay=300)
def settlement_sync_task(date: str | None = None, connector_id: int | None = None, days: int = 1) -> dict:
    """The daily settlement sync (beat): yesterday's file of every active connector, then the run."""
    import datetime as dt

    from .services.sync import settlement_sync

    start = dt.date.fromisoformat(date) if date else None
    return settlement_sync(start=start, days=days, connector_id=connector_id)
