from celery import shared_task


@shared_task
def token_purge_expired_task() -> int:
    """Unused card tokens past their TTL: drop them and their encrypted number."""
    from apps.vault.services import token_purge_expired

    return token_purge_expired()
