"""Reading an account's credentials (only the gateway does, to build an adapter)."""

from ..crypto import decrypt_credentials
from ..models import Connector


def connector_credentials(connector: Connector) -> dict:
    if not connector.credentials_ciphertext:
        return {}
    return decrypt_credentials(connector.credentials_ciphertext)


def connector_previous_credentials(connector: Connector) -> dict:
    if not connector.previous_credentials_ciphertext:
        return {}
    return decrypt_credentials(connector.previous_credentials_ciphertext)
