"""Thin, idempotent periodic tasks: the work is in services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def expire_authorizations() -> int:
    """Cancels uncaptured intents whose authorization lapsed (sandbox: 7 days)."""
    return services.payment_intents_expire_authorizations()


@shared_task(acks_late=True, ignore_result=True)
def recheck_attempts() -> dict:
    """The janitor: resolves attempts/captures/voids left submitting or unknown by asking the provider."""
    return services.payment_intents_recheck()
