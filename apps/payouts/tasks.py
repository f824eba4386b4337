"""Thin, idempotent tasks driving the bank and the payout schedules; each imports its service in its body."""

from celery import shared_task


@shared_task
def payouts_submit_due_task() -> int:
    from .services import payouts_submit_due

    return payouts_submit_due()


@shared_task
def payouts_settle_due_task() -> int:
    from .services import payouts_settle_due

    return payouts_settle_due()


@shared_task
def payouts_run_scheduled_task() -> int:
    from .services import payouts_run_scheduled

    return len(payouts_run_scheduled())
