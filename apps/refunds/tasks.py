from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def recheck_pending() -> int:
    """Pending refunds: the provider's late answer (e.g. 4000 0000 0000 5126 fails), unanswered or
    unsent submissions (re-sent under the same idempotency key)."""
    return services.refunds_recheck()
