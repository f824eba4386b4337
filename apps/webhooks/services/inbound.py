"""Inbound gateway callbacks: store the raw request, verify it with the connector's adapter,
deduplicate on (connector, provider event id), and hand it to the app that owns the state
through the registry in `apps.connectors.inbound`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.connectors import gateway, inbound
from apps.connectors.base import InboundEvent, InboundWebhookError
from apps.connectors.models import Connector
from apps.core.errors import NotFoundError

from ..errors import (
    INBOUND_REJECTIONS,
    InboundWebhookInProgress,
    InboundWebhookInvalidPayload,
    InboundWebhookLivemodeMismatch,
    InboundWebhookProcessingFailed,
    InboundWebhookRejected,
)
from ..models import InboundWebhook

logger = logging.getLogger("clearhouse.webhooks")

_DROPPED_HEADERS = {"authorization", "cookie", "proxy-authorization"}
STALE_PROCESSING = timedelta(minutes=5)
MAX_STORED_BODY = 256 * 1024


@dataclass
class InboundOutcome:
    webhook: InboundWebhook
    duplicate: bool = False


def _inbound_mark(row: InboundWebhook, **fields) -> None:
    for key, value in fields.items():
        setattr(row, key, value)
    row.save(update_fields=[*fields, "updated_at"])


def inbound_webhook_receive(
    *, connector_ref: str, body: bytes, headers: dict[str, str], remote_ip: str | None = None
) -> InboundOutcome:
    """Stores the raw callback first, verifies it with the connector's adapter, deduplicates on
    (connector, provider event id) and applies it through the owning app's handler. An event
    type no app handles is kept as ignored, with its type, so it can be replayed later."""
    connector = Connector.objects.select_related("merchant").filter(public_id=connector_ref[:40]).first()
    row = _inbound_store(
        connector, connector_ref=connector_ref, body=body, headers=headers, remote_ip=remote_ip
    )
    if connector is None:
        _inbound_mark(row, status=InboundWebhook.Status.REJECTED, error="unknown connector")
        raise NotFoundError("connector", connector_ref, param="connector_id")
    event = _inbound_verify(row, connector=connector, body=body, headers=headers)
    identity = {
        "provider_event_id": event.provider_event_id[:255],
        "event_type": event.type[:100],
        "gateway_reference": (event.gateway_reference or "")[:255],
    }
    original = _inbound_claim(row, connector=connector, identity=identity)
    if original is not None:
        _inbound_mark(row, status=InboundWebhook.Status.DUPLICATE, duplicate_of=original, **identity)
        return InboundOutcome(row, duplicate=True)
    _inbound_apply(row, connector=connector, event=event)
    return InboundOutcome(row)


def _inbound_store(
    connector: Connector | None, *, connector_ref: str, body: bytes, headers: dict[str, str], remote_ip
) -> InboundWebhook:
    return InboundWebhook.objects.create(
        connector=connector,
        connector_ref=connector_ref[:64],
        merchant=connector.merchant if connector else None,
        livemode=connector.livemode if connector else False,
        provider=connector.code if connector else "",
        headers={k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
        body=body[:MAX_STORED_BODY].decode("utf-8", "replace"),
        remote_ip=remote_ip or None,
    )


def _inbound_verify(row: InboundWebhook, *, connector: Connector, body: bytes, headers: dict) -> InboundEvent:
    """The adapter's verified event; a callback it refuses is marked rejected and answered 400."""
    try:
        event = gateway.parse_inbound_webhook(connector=connector, body=body, headers=headers)
    except InboundWebhookError as exc:
        _inbound_mark(row, status=InboundWebhook.Status.REJECTED, error=f"{exc.code}: {exc}")
        rejection = INBOUND_REJECTIONS.get(exc.code)
        if rejection is None:  # a reason only that adapter gives: passed on with the same prefix
            raise InboundWebhookRejected(str(exc), code=f"webhook_{exc.code}") from exc
        raise rejection(str(exc)) from exc
    except Exception as exc:
        logger.exception("inbound webhook %s: adapter %s failed to parse", row.pk, connector.code)
        _inbound_mark(row, status=InboundWebhook.Status.REJECTED, error=f"unparseable: {type(exc).__name__}")
        raise InboundWebhookInvalidPayload("The payload could not be understood.") from exc
    if bool(event.livemode) != connector.livemode:
        _inbound_mark(
            row, status=InboundWebhook.Status.REJECTED, error="livemode does not match the connector"
        )
        raise InboundWebhookLivemodeMismatch()
    return event


def _inbound_apply(row: InboundWebhook, *, connector: Connector, event: InboundEvent) -> None:
    """Runs the owner's handler; a failure is stored and answered 500 so the provider retries."""
    try:
        result = inbound.dispatch(connector=connector, event=event)
    except Exception as exc:
        logger.exception("inbound webhook %s (%s) failed", row.pk, event.provider_event_id)
        _inbound_mark(row, status=InboundWebhook.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise InboundWebhookProcessingFailed() from exc
    status = InboundWebhook.Status.PROCESSED if result == "applied" else InboundWebhook.Status.IGNORED
    _inbound_mark(row, status=status, result=result[:100], processed_at=timezone.now())


def _inbound_claim(row: InboundWebhook, *, connector, identity: dict) -> InboundWebhook | None:
    """Marks the row processing unless another row holds (or held) this provider event.
    Returns that other row when this one is a replay."""
    for _ in range(2):
        try:
            with transaction.atomic():
                InboundWebhook.objects.filter(pk=row.pk).update(
                    status=InboundWebhook.Status.PROCESSING, updated_at=timezone.now(), **identity
                )
            for key, value in identity.items():
                setattr(row, key, value)
            row.status = InboundWebhook.Status.PROCESSING
            return None
        except IntegrityError:
            original = (
                InboundWebhook.objects.filter(
                    connector=connector,
                    provider_event_id=identity["provider_event_id"],
                    status__in=[
                        InboundWebhook.Status.PROCESSING,
                        InboundWebhook.Status.PROCESSED,
                        InboundWebhook.Status.IGNORED,
                    ],
                )
                .exclude(pk=row.pk)
                .first()
            )
            if original is None:
                continue
            if (
                original.status == InboundWebhook.Status.PROCESSING
                and timezone.now() - original.updated_at > STALE_PROCESSING
            ):
                # The process that claimed it died; let this replay take over.
                InboundWebhook.objects.filter(pk=original.pk, status=InboundWebhook.Status.PROCESSING).update(
                    status=InboundWebhook.Status.FAILED, error="abandoned while processing"
                )
                continue
            return original
    raise InboundWebhookInProgress()
