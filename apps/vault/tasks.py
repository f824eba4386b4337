from celery import shared_task


@shared_task
def token_purge_expired_task() -> int:
    """Unused card tokens past their TTL: drop them and their encrypted number."""
    from apps.vault.services import token_purge_expired

    return token_purge_expired()


@shared_task
def cvc_hold_purge_expired_task() -> int:
    """CVC holds past their expiry (never confirmed, or a crash before the release): deleted."""
    from apps.vault.services import cvc_hold_purge_expired

    return cvc_hold_purge_expired()
