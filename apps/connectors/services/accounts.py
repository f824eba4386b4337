"""Connector accounts: create, update, rotate credentials, disable, delete and test. Every
change writes its audit entry in the same transaction; credentials are encrypted before they
touch a row and only their mask (last 4 and a fingerprint) is ever shown back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from apps.audit.services import Actor, audit_record

from ..base import ConfigValueError
from ..capabilities import CapabilityError, narrow
from ..crypto import encrypt_credentials, mask_credentials
from ..errors import (
    ConnectorCapabilitiesInvalid,
    ConnectorConfigInvalid,
    ConnectorCredentialsInvalid,
    ConnectorNoRotation,
    ConnectorTestRateLimited,
    ConnectorTypeNotInMode,
    ConnectorTypeUnknown,
)
from ..models import Connector
from ..registry import adapter_class

SANDBOX_FAULTS = ("timeout", "timeout_after_processing", "http_500", "http_503")
TEST_LIMIT_PER_MINUTE = 5


def _provider(code: str, *, livemode: bool):
    try:
        cls = adapter_class(code)
    except LookupError:
        raise ConnectorTypeUnknown(provider=str(code)[:40]) from None
    if (livemode and not cls.live_mode) or (not livemode and not cls.test_mode):
        raise ConnectorTypeNotInMode(provider=code, mode="live" if livemode else "test")
    return cls


def _clean_credentials(
    cls, credentials: Mapping[str, Any] | None, *, required: bool, livemode: bool | None = None
) -> dict:
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, Mapping) or len(credentials) > 20:
        raise ConnectorCredentialsInvalid(detail="credentials must be an object of at most 20 string fields.")
    clean = {}
    for name, value in credentials.items():
        if (
            not isinstance(name, str)
            or not 0 < len(name) <= 40
            or not isinstance(value, str)
            or not 0 < len(value) <= 4000
        ):
            raise ConnectorCredentialsInvalid(
                detail=f"credentials[{str(name)[:40]}] must be a non-empty string."
            )
        clean[name] = value
    missing = [name for name in cls.credential_fields if name not in clean and cls.code != "sandbox"]
    if required and missing:
        raise ConnectorCredentialsInvalid(detail=f"credentials[{missing[0]}] is required for {cls.code}.")
    if clean and livemode is not None:
        try:
            cls.validate_credentials(clean, livemode=livemode)
        except ValueError as exc:
            raise ConnectorCredentialsInvalid(detail=str(exc)[:200]) from None
    return clean


def _clean_config(cls, config: Mapping[str, Any] | None, *, livemode: bool) -> dict:
    if config is None:
        config = {}
    if not isinstance(config, Mapping) or len(config) > 20:
        raise ConnectorConfigInvalid(detail="config must be an object of at most 20 settings.")
    if cls.code != "sandbox":
        for name, value in config.items():
            if not isinstance(value, (str, int, bool)) or (isinstance(value, str) and len(value) > 200):
                raise ConnectorConfigInvalid(detail=f"config[{str(name)[:40]}] must be a short scalar.")
        try:
            cls.validate_config(config, livemode=livemode)
        except ConfigValueError as exc:
            raise ConnectorConfigInvalid(detail=str(exc)[:200], param=exc.param) from None
        except ValueError as exc:
            raise ConnectorConfigInvalid(detail=str(exc)[:200]) from None
        return dict(config)
    clean: dict[str, Any] = {}
    for name, value in config.items():
        if name in ("decline_card_brands", "decline_currencies"):
            if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 20 for v in value):
                raise ConnectorConfigInvalid(detail=f"config[{name}] must be a list of strings.")
            clean[name] = sorted({v.upper() if name == "decline_currencies" else v.lower() for v in value})
        elif name == "decline_code":
            if not isinstance(value, str) or not 0 < len(value) <= 40:
                raise ConnectorConfigInvalid(detail="config[decline_code] must be a decline code.")
            clean[name] = value
        elif name == "fault":
            if value not in ("", *SANDBOX_FAULTS):
                raise ConnectorConfigInvalid(
                    detail=f"config[fault] must be one of {', '.join(SANDBOX_FAULTS)}."
                )
            if value:
                clean[name] = value
        else:
            raise ConnectorConfigInvalid(detail=f"Unknown sandbox setting: config[{str(name)[:40]}].")
    return clean


def _clean_capabilities(cls, capabilities: Mapping[str, Any] | None) -> dict:
    if capabilities is None:
        return {}
    if not isinstance(capabilities, Mapping):
        raise ConnectorCapabilitiesInvalid(detail="capabilities must be an object.")
    try:
        narrow(cls.capabilities, capabilities)
    except CapabilityError as exc:
        raise ConnectorCapabilitiesInvalid(str(exc), param=f"capabilities[{exc.key}]") from None
    return {key: value for key, value in capabilities.items() if value is not None}


def _snapshot(connector: Connector) -> dict:
    return {
        "label": connector.name,
        "status": connector.status,
        "capabilities": connector.capabilities,
        "config": connector.config,
        "credentials_fingerprint": connector.credentials_mask.get("fingerprint"),
    }


def _lock(connector_id: int) -> Connector:
    return Connector.objects.select_for_update().select_related("merchant").get(pk=connector_id)


def connector_create(
    *,
    merchant,
    livemode: bool,
    type: str,
    label: str,
    actor: Actor,
    credentials: Mapping[str, Any] | None = None,
    capabilities: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Connector:
    cls = _provider(type, livemode=livemode)
    clean_credentials = _clean_credentials(cls, credentials, required=True, livemode=livemode)
    connector = Connector(
        merchant=merchant,
        livemode=livemode,
        code=cls.code,
        name=label[:100],
        capabilities=_clean_capabilities(cls, capabilities),
        config=_clean_config(cls, config, livemode=livemode),
        credentials_ciphertext=encrypt_credentials(clean_credentials) if clean_credentials else "",
        credentials_mask=mask_credentials(clean_credentials),
    )
    with transaction.atomic(durable=True):
        connector.save()
        audit_record(
            actor=actor,
            action="connector.create",
            merchant=merchant,
            obj=connector,
            after=_snapshot(connector),
        )
    return connector


def connector_update(
    *,
    connector_id: int,
    actor: Actor,
    label: str | None = None,
    capabilities: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    status: str | None = None,
    reason: str = "",
) -> Connector:
    with transaction.atomic(durable=True):
        connector = _lock(connector_id)
        cls = adapter_class(connector.code)
        before = _snapshot(connector)
        if label is not None:
            connector.name = label[:100]
        if capabilities is not None:
            connector.capabilities = _clean_capabilities(cls, capabilities)
        if config is not None:
            connector.config = _clean_config(cls, config, livemode=connector.livemode)
        if status is not None and status != connector.status:
            connector.status = status
            connector.disabled_at = timezone.now() if status == Connector.Status.DISABLED else None
        connector.save()
        after = _snapshot(connector)
        changed = {k: v for k, v in before.items() if after[k] != v}
        audit_record(
            actor=actor, action="connector.update", merchant=connector.merchant, obj=connector,
            before=changed, after={k: after[k] for k in changed}, reason=reason,
        )  # fmt: skip
    return connector


def connector_disable(*, connector_id: int, actor: Actor, reason: str = "") -> Connector:
    """Takes the account out of routing. Payments it already took keep using it: captures,
    voids and refunds of its charges still go to it (they follow the charge's connector)."""
    return connector_update(
        connector_id=connector_id, actor=actor, status=Connector.Status.DISABLED, reason=reason
    )


def connector_enable(*, connector_id: int, actor: Actor, reason: str = "") -> Connector:
    return connector_update(
        connector_id=connector_id, actor=actor, status=Connector.Status.ACTIVE, reason=reason
    )


def connector_delete(*, connector_id: int, actor: Actor) -> tuple[bool, Connector]:
    """Deletes an account no payment refers to; one that took payments is disabled instead
    (answers (deleted, connector))."""
    try:
        with transaction.atomic(durable=True):
            connector = _lock(connector_id)
            audit_record(actor=actor, action="connector.delete", merchant=connector.merchant, obj=connector,
                         before=_snapshot(connector))  # fmt: skip
            connector.delete()
        return True, connector
    except ProtectedError:
        return False, connector_disable(
            connector_id=connector_id, actor=actor, reason="deleted with payments"
        )


def connector_rotate_credentials(
    *, connector_id: int, credentials: Mapping[str, Any], actor: Actor, reason: str = ""
) -> Connector:
    """New credentials become current; the previous ones stay usable (callbacks signed with the
    previous webhook secret still verify) until ``connector_complete_rotation``."""
    with transaction.atomic(durable=True):
        connector = _lock(connector_id)
        cls = adapter_class(connector.code)
        clean = _clean_credentials(cls, credentials, required=True, livemode=connector.livemode)
        if not clean:
            raise ConnectorCredentialsInvalid(detail="credentials must name at least one field to rotate.")
        before = {"fingerprint": connector.credentials_mask.get("fingerprint")}
        connector.previous_credentials_ciphertext = connector.credentials_ciphertext
        connector.previous_credentials_mask = connector.credentials_mask
        connector.credentials_ciphertext = encrypt_credentials(clean)
        connector.credentials_mask = mask_credentials(clean)
        connector.credentials_rotated_at = timezone.now()
        connector.save()
        audit_record(
            actor=actor, action="connector.rotate_credentials", merchant=connector.merchant, obj=connector,
            before=before, after={"fingerprint": connector.credentials_mask.get("fingerprint")}, reason=reason,
        )  # fmt: skip
    return connector


def connector_complete_rotation(*, connector_id: int, actor: Actor, reason: str = "") -> Connector:
    """The cut-over: the previous credentials stop being accepted."""
    with transaction.atomic(durable=True):
        connector = _lock(connector_id)
        if not connector.previous_credentials_ciphertext:
            raise ConnectorNoRotation()
        before = {"previous_fingerprint": connector.previous_credentials_mask.get("fingerprint")}
        connector.previous_credentials_ciphertext = ""
        connector.previous_credentials_mask = {}
        connector.save()
        audit_record(actor=actor, action="connector.complete_rotation", merchant=connector.merchant,
                     obj=connector, before=before, reason=reason)  # fmt: skip
    return connector


def connector_test(*, connector_id: int, actor: Actor) -> dict:
    """A read-only connectivity check (the adapter's health check; never moves money), rate
    limited per connector and recorded on the account."""
    from .. import gateway

    connector = Connector.objects.select_related("merchant").get(pk=connector_id)
    window = int(timezone.now().timestamp() // 60)
    key = f"connector:{connector.public_id}:tests:{window}"
    count = 1 if cache.add(key, 1, timeout=70) else cache.incr(key)
    if count > TEST_LIMIT_PER_MINUTE:
        raise ConnectorTestRateLimited(limit=TEST_LIMIT_PER_MINUTE)
    status = gateway.health(connector=connector)
    result = {
        "ok": status.ok,
        "latency_ms": status.latency_ms,
        "provider_request_id": f"{connector.code}_health_{connector.public_id[-8:]}_{count}",
        "detail": status.detail or None,
        "checked_at": int(timezone.now().timestamp()),
    }
    with transaction.atomic(durable=True):
        connector = _lock(connector_id)
        connector.last_test = result
        connector.save(update_fields=["last_test", "updated_at"])
        audit_record(
            actor=actor, action="connector.test", merchant=connector.merchant, obj=connector, after=result
        )
    return result
