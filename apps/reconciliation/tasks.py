"""Celery tasks (thin: they take ids and call the services, imported in their body)."""

from celery import shared_task


@shared_task(acks_late=True, max_retries=0)
def reconciliation_run_task(run_id: int) -> str:
    from .services.runs import reconciliation_run_execute

    return reconciliation_run_execute(run_id=run_id).status


@shared_task(acks_late=True, max_retries=0)
def settlement_sync_task(sync_id: int | None = None) -> str:
    """A requested sync job; without one (beat), the daily platform sync of yesterday's files."""
    from apps.audit.services import Actor

    from .services.sync import settlement_sync_execute, settlement_sync_request

    if sync_id is None:
        return "queued " + settlement_sync_request(actor=Actor.system("settlement_sync (beat)")).public_id
    return settlement_sync_execute(sync_id=sync_id).status
