"""Thin periodic tasks; each is idempotent (safe to run twice)."""

from celery import shared_task

from . import fx, services


@shared_task(acks_late=True, ignore_result=True)
def ledger_settle_due_task() -> int:
    """Moves pending funds whose settlement delay has passed to available."""
    return services.ledger_settle_all_due()


@shared_task(acks_late=True, ignore_result=True)
def ledger_snapshots_refresh_task() -> int:
    return services.ledger_snapshots_refresh()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ConnectionError,), max_retries=3)
def exchange_rates_refresh_task() -> int:
    return fx.exchange_rates_refresh()
