"""Thin, idempotent periodic tasks: the work is in services (imported inside each task)."""

from celery import shared_task


@shared_task
def expire_authorizations_task() -> int:
    """Cancels uncaptured intents whose authorization lapsed (sandbox: 7 days)."""
    from .services import payment_intents_expire_authorizations

    return payment_intents_expire_authorizations()


@shared_task
def recheck_attempts_task() -> dict:
    """The janitor: resolves attempts/captures/voids left submitting or unknown by asking the provider."""
    from .services import payment_intents_recheck

    return payment_intents_recheck()
