from celery import shared_task


@shared_task
def recheck_pending_task() -> int:
    """Pending refunds: the provider's late answer (e.g. 4000 0000 0000 5126 fails), unanswered or
    unsent submissions (re-sent under the same idempotency key)."""
    from .services import refunds_recheck

    return refunds_recheck()
