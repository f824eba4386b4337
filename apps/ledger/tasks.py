"""Thin periodic tasks; each is idempotent (safe to run twice) and imports its service in its body."""

from celery import shared_task


@shared_task
def ledger_settle_due_task() -> int:
    """Moves pending funds whose settlement delay has passed to available."""
    from .services import ledger_settle_all_due

    return ledger_settle_all_due()


@shared_task
def ledger_snapshots_refresh_task() -> int:
    from .services import ledger_snapshots_refresh

    return ledger_snapshots_refresh()


@shared_task(autoretry_for=(ConnectionError,), max_retries=3)
def exchange_rates_refresh_task() -> int:
    from .services import exchange_rates_refresh

    return exchange_rates_refresh()
