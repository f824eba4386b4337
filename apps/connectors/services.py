from django.db import IntegrityError, transaction

from .crypto import decrypt_credentials
from .models import Connector
from .registry import get_adapter


def connector_ensure_sandbox(*, merchant) -> Connector:
    """The merchant's test-mode sandbox connector, created on first use (one query afterwards)."""
    connector = Connector.objects.filter(
        merchant=merchant, livemode=False, code="sandbox", is_default=True
    ).first()
    if connector is not None:
        return connector
    try:
        with transaction.atomic():
            return Connector.objects.create(
                merchant=merchant, livemode=False, code="sandbox", name="Sandbox acquirer", is_default=True
            )
    except IntegrityError:
        return Connector.objects.get(merchant=merchant, livemode=False, code="sandbox", is_default=True)


def connector_credentials(connector: Connector) -> dict:
    if not connector.credentials_ciphertext:
        return {}
    return decrypt_credentials(connector.credentials_ciphertext)


def connector_adapter(connector: Connector):
    return get_adapter(
        connector.code, credentials=connector_credentials(connector), livemode=connector.livemode
    )
