from celery import shared_task

from . import services


@shared_task(acks_late=True)
def purge_expired_tokens() -> int:
    """Unused card tokens past their TTL: drop them and their encrypted number."""
    return services.token_purge_expired()
