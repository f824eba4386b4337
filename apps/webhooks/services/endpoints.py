"""Webhook endpoints: create, update, enable/disable, delete, rotate the signing secret, send a
test event. Every change is audited."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.context import get_request_id
from apps.core.errors import NotFoundError
from apps.core.ids import generate_id

from .. import catalog, crypto
from ..errors import (
    WebhookApiVersionUnknown,
    WebhookEndpointDisabled,
    WebhookEventTypeInvalid,
    WebhookEventTypeUnknown,
)
from ..models import Delivery, Event, WebhookEndpoint
from ..payloads import webhook_endpoint_payload
from ..selectors import EVENT_PATTERN
from ..signing import generate_secret
from ..ssrf import check_url_destination
from . import publishing
from .outbox import event_record

TEST_EVENT_TYPE = "webhook_endpoint.test"


def _secret_context(endpoint: WebhookEndpoint, slot: str) -> str:
    return f"webhooks.endpoint.{slot}:{endpoint.public_id}"


def endpoint_secrets(endpoint: WebhookEndpoint, *, now=None) -> list[str]:
    """The secrets that sign a delivery now: the current one, plus the previous one during a
    rotation grace period."""
    now = now or timezone.now()
    result = [crypto.decrypt(endpoint.secret_ciphertext, context=_secret_context(endpoint, "secret"))]
    if (
        endpoint.previous_secret_ciphertext
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        result.append(
            crypto.decrypt(endpoint.previous_secret_ciphertext, context=_secret_context(endpoint, "previous"))
        )
    return result


def _validate_url(url: str, *, livemode: bool) -> str:
    url = url.strip()
    check_url_destination(url, livemode=livemode)
    return url


def _validate_events(enabled_events: list[str]) -> list[str]:
    clean: list[str] = []
    for index, pattern in enumerate(enabled_events):
        pattern = pattern.strip()
        if not EVENT_PATTERN.match(pattern):
            raise WebhookEventTypeInvalid(pattern=pattern, param=f"enabled_events[{index}]")
        if not catalog.is_known(pattern):
            guess = catalog.closest(pattern)
            raise WebhookEventTypeUnknown(
                pattern=pattern,
                hint=f" Did you mean {guess!r}?" if guess else "",
                param=f"enabled_events[{index}]",
            )
        if pattern not in clean:
            clean.append(pattern)
    return clean


def webhook_endpoint_create(
    *,
    merchant,
    livemode: bool,
    url: str,
    enabled_events: list[str],
    actor: Actor,
    description: str = "",
    api_version: str | None = None,
    metadata: dict | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its signing secret (shown to the merchant this once)."""
    api_version = api_version or settings.API_VERSION
    if api_version != settings.API_VERSION:
        raise WebhookApiVersionUnknown(api_version=api_version, current=settings.API_VERSION)
    url = _validate_url(url, livemode=livemode)
    events = _validate_events(enabled_events)
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        public_id=generate_id(WebhookEndpoint.ID_PREFIX),
        merchant=merchant,
        livemode=livemode,
        url=url,
        enabled_events=events,
        description=description or "",
        api_version=api_version,
        metadata=metadata or {},
    )
    endpoint.secret_ciphertext = crypto.encrypt(secret, context=_secret_context(endpoint, "secret"))
    with transaction.atomic():
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook_endpoint.created",
            merchant=merchant,
            obj=endpoint,
            after=webhook_endpoint_payload(endpoint),
        )
    return endpoint, secret


def _endpoint_lock(endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)


def webhook_endpoint_update(*, endpoint_id: int, actor: Actor, **changes) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_id)
        if endpoint.deleted_at:
            raise NotFoundError("webhook_endpoint", endpoint.public_id)
        before = webhook_endpoint_payload(endpoint)
        if "url" in changes:
            endpoint.url = _validate_url(changes["url"], livemode=endpoint.livemode)
        if "enabled_events" in changes:
            endpoint.enabled_events = _validate_events(changes["enabled_events"])
        if "description" in changes:
            endpoint.description = changes["description"] or ""
        if "metadata" in changes:
            endpoint.metadata = {**(endpoint.metadata or {}), **changes["metadata"]}
            endpoint.metadata = {k: v for k, v in endpoint.metadata.items() if v != ""}
        if "disabled" in changes:
            _set_enabled(
                endpoint, enabled=not changes["disabled"], reason=WebhookEndpoint.DisabledReason.MANUAL
            )
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook_endpoint.updated",
            merchant=endpoint.merchant,
            obj=endpoint,
            before=before,
            after=webhook_endpoint_payload(endpoint),
        )
    return endpoint


def _set_enabled(endpoint: WebhookEndpoint, *, enabled: bool, reason: str) -> None:
    if enabled:
        endpoint.status = WebhookEndpoint.Status.ENABLED
        endpoint.disabled_reason = WebhookEndpoint.DisabledReason.NONE
        endpoint.disabled_at = None
        endpoint.failing_since = None
    elif endpoint.status != WebhookEndpoint.Status.DISABLED:
        endpoint.status = WebhookEndpoint.Status.DISABLED
        endpoint.disabled_reason = reason
        endpoint.disabled_at = timezone.now()


def webhook_endpoint_set_enabled(
    *, endpoint_id: int, enabled: bool, actor: Actor, reason: str = ""
) -> WebhookEndpoint:
    """Back-office enable/disable (audited with the staff member's reason)."""
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_id)
        before = webhook_endpoint_payload(endpoint)
        _set_enabled(endpoint, enabled=enabled, reason=WebhookEndpoint.DisabledReason.MANUAL)
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook_endpoint.enabled" if enabled else "webhook_endpoint.disabled",
            merchant=endpoint.merchant,
            obj=endpoint,
            before=before,
            after=webhook_endpoint_payload(endpoint),
            reason=reason,
        )
    return endpoint


def webhook_endpoint_auto_disable(*, endpoint_id: int, reason: str) -> None:
    """Disables an endpoint the system gave up on (410 Gone, or failing for too long), tells the
    merchant with an event (`webhook_endpoint.disabled`, delivered to their other endpoints and
    listed in /v1/events) and writes the audit entry. Runs inside the delivery's transaction."""
    endpoint = _endpoint_lock(endpoint_id)
    if endpoint.status == WebhookEndpoint.Status.DISABLED:
        return
    before = webhook_endpoint_payload(endpoint)
    _set_enabled(endpoint, enabled=False, reason=reason)
    endpoint.save()
    audit_record(
        actor=Actor.system("webhooks"),
        action="webhook_endpoint.disabled",
        merchant=endpoint.merchant,
        obj=endpoint,
        before=before,
        after=webhook_endpoint_payload(endpoint),
        reason=WebhookEndpoint.DisabledReason(reason).label,
    )
    event_record(
        merchant=endpoint.merchant,
        livemode=endpoint.livemode,
        type="webhook_endpoint.disabled",
        data=webhook_endpoint_payload(endpoint),
        previous_attributes={"status": WebhookEndpoint.Status.ENABLED},
    )


def webhook_endpoint_delete(*, endpoint_id: int, actor: Actor) -> WebhookEndpoint:
    """Soft delete: the endpoint stops receiving and disappears from the API; its delivery log
    stays for support."""
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_id)
        before = webhook_endpoint_payload(endpoint)
        endpoint.deleted_at = timezone.now()
        endpoint.status = WebhookEndpoint.Status.DISABLED
        endpoint.disabled_reason = WebhookEndpoint.DisabledReason.MANUAL
        endpoint.disabled_at = endpoint.disabled_at or endpoint.deleted_at
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook_endpoint.deleted",
            merchant=endpoint.merchant,
            obj=endpoint,
            before=before,
        )
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint_id: int, actor: Actor, previous_secret_expires_in: int = 24 * 3600
) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the old one keeps signing (a second signature) for the
    grace period so receivers can switch without dropping events."""
    secret = generate_secret()
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_id)
        current = crypto.decrypt(endpoint.secret_ciphertext, context=_secret_context(endpoint, "secret"))
        if previous_secret_expires_in > 0:
            endpoint.previous_secret_ciphertext = crypto.encrypt(
                current, context=_secret_context(endpoint, "previous")
            )
            endpoint.previous_secret_expires_at = timezone.now() + timedelta(
                seconds=previous_secret_expires_in
            )
        else:
            endpoint.previous_secret_ciphertext = ""
            endpoint.previous_secret_expires_at = None
        endpoint.secret_ciphertext = crypto.encrypt(secret, context=_secret_context(endpoint, "secret"))
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook_endpoint.secret_rotated",
            merchant=endpoint.merchant,
            obj=endpoint,
            after={"previous_secret_expires_at": endpoint.previous_secret_expires_at},
        )
    return endpoint, secret


def webhook_endpoint_send_test(*, endpoint_id: int, actor: Actor) -> Delivery:
    """A `webhook_endpoint.test` event delivered to this endpoint only (signed as usual)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_id)
        if endpoint.status != WebhookEndpoint.Status.ENABLED:
            raise WebhookEndpointDisabled()
        event = Event.objects.create(
            merchant=endpoint.merchant,
            livemode=endpoint.livemode,
            type=TEST_EVENT_TYPE,
            api_version=endpoint.api_version,
            data={"object": webhook_endpoint_payload(endpoint)},
            object_id=endpoint.public_id,
            request_id=get_request_id(),
            enqueued_at=now,
            fanned_out_at=now,
        )
        delivery = Delivery.objects.create(
            event=event,
            endpoint=endpoint,
            merchant=endpoint.merchant,
            livemode=endpoint.livemode,
            url=endpoint.url,
            schedule_started_at=now,
            next_attempt_at=now,
            enqueued_at=now,
        )
        audit_record(
            actor=actor, action="webhook_endpoint.test_sent", merchant=endpoint.merchant, obj=endpoint
        )
        publishing.after_commit(publishing.deliveries_publish, [delivery.pk])
    return delivery
