"""Connector services; callers import from here."""

from .accounts import (
    connector_complete_rotation,
    connector_create,
    connector_delete,
    connector_disable,
    connector_enable,
    connector_rotate_credentials,
    connector_test,
    connector_update,
)
from .credentials import connector_credentials, connector_previous_credentials
from .health import connectors_probe_circuits
from .sandbox import connector_ensure_sandbox

__all__ = [
    "connector_complete_rotation",
    "connector_create",
    "connector_credentials",
    "connector_delete",
    "connector_disable",
    "connector_enable",
    "connector_ensure_sandbox",
    "connector_previous_credentials",
    "connector_rotate_credentials",
    "connector_test",
    "connector_update",
    "connectors_probe_circuits",
]
