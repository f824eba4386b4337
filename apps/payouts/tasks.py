"""Thin, idempotent tasks driving the sandbox bank and the payout schedules."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def payouts_submit_due_task() -> int:
    return services.payouts_submit_due()


@shared_task(acks_late=True, ignore_result=True)
def payouts_settle_due_task() -> int:
    return services.payouts_settle_due()


@shared_task(acks_late=True, ignore_result=True)
def payouts_run_scheduled_task() -> int:
    return len(services.payouts_run_scheduled())
