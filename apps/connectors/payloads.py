"""The public shape of connector accounts and provider types. Credentials appear only as their
mask: each field's last 4 characters and a keyed fingerprint."""

from __future__ import annotations

from apps.core.payloads import unix

from . import declines, observe
from .models import Connector
from .selectors import connector_capabilities


def _credentials(connector: Connector) -> dict:
    mask = connector.credentials_mask or {}
    previous = connector.previous_credentials_mask or {}
    return {
        "fields": mask.get("fields", {}),
        "fingerprint": mask.get("fingerprint"),
        "rotated_at": unix(connector.credentials_rotated_at),
        "previous": {"fields": previous.get("fields", {}), "fingerprint": previous.get("fingerprint")}
        if connector.previous_credentials_ciphertext
        else None,
    }


def connector_to_dict(connector: Connector, *, circuit: str | None = None) -> dict:
    return {
        "id": connector.public_id,
        "object": "connector",
        "type": connector.code,
        "label": connector.name,
        "status": connector.status,
        "is_default": connector.is_default,
        "credentials": _credentials(connector),
        "capabilities": connector_capabilities(connector),
        "capability_overrides": connector.capabilities or {},
        "config": connector.config or {},
        "webhook_url": f"/v1/webhooks/gateway/{connector.public_id}",
        "last_test": connector.last_test,
        "circuit": circuit
        or getattr(connector, "circuit", None)
        or observe.circuit_state(connector.public_id),
        "disabled_at": unix(connector.disabled_at),
        "created": unix(connector.created_at),
        "livemode": connector.livemode,
    }


def provider_to_dict(cls) -> dict:
    return {
        "object": "provider",
        "type": cls.code,
        "name": cls.display_name or cls.code,
        "test_mode": cls.test_mode,
        "live_mode": cls.live_mode,
        "credential_fields": list(cls.credential_fields),
        "capabilities": cls.matrix(),  # the declared matrix, undeclared keys at their defaults
        "decline_table": declines.table_for(cls.code),
    }


def connectors_with_circuits(rows: list[Connector]) -> list[Connector]:
    """A page of connectors with their circuit states read in one cache round trip."""
    states = observe.circuit_states([c.public_id for c in rows])
    for row in rows:
        row.circuit = states[row.public_id]
    return rows
