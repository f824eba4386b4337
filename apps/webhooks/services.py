"""Events (transactional outbox), webhook endpoints, signed deliveries with retries, and inbound
gateway callbacks. Every write of the app goes through here.

Delivery, in short:
1. `event_record` writes the Event in the caller's transaction and, on commit, publishes the
   fan-out task. If the broker is down the publish fails quietly (the request still succeeds) and
   `events_outbox_sweep` picks the event up later.
2. `event_fan_out` writes one Delivery row per matching endpoint (plus the per-payment URL from
   the object's metadata), idempotently, and publishes one send task per delivery on commit.
3. `delivery_send` claims the row with SELECT … FOR UPDATE SKIP LOCKED, signs, POSTs (15 s
   timeout), records the attempt and schedules the next one in `next_attempt_at`.
   `deliveries_sweep` (beat, every few seconds) publishes send tasks for due rows: retries are
   driven by that column, never by long broker countdowns.

Why the row lock is held during the HTTP call (unlike calls to payment providers): a webhook
send has no outcome we must reconcile — it is at-least-once by contract — and holding the lock
is what makes the claim safe across crashes: if the worker dies mid-send, PostgreSQL drops the
connection, rolls back and releases the row, and the redelivered task (acks_late,
reject_on_worker_lost) or the sweeper sends it again, with the same event id. The lock is held
at most the HTTP timeout, on one row, and no other transaction waits on delivery rows.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import KombuError, OperationalError

from apps.audit.services import Actor, audit_record
from apps.core.context import get_request_id
from apps.core.errors import NotFoundError
from apps.core.ids import generate_id

from . import crypto, retry
from .errors import (
    INBOUND_REJECTIONS,
    InboundWebhookInProgress,
    InboundWebhookInvalidPayload,
    InboundWebhookLivemodeMismatch,
    InboundWebhookProcessingFailed,
    InboundWebhookRejected,
    WebhookApiVersionUnknown,
    WebhookEndpointDisabled,
    WebhookEventTypeInvalid,
    WebhookUrlRefused,
)
from .models import Delivery, DeliveryAttempt, Event, InboundWebhook, WebhookEndpoint
from .payloads import event_payload, webhook_endpoint_payload
from .selectors import EVENT_PATTERN, default_signing_endpoint, endpoint_get, endpoint_matches
from .signing import generate_secret, signature_headers
from .ssrf import check_url_destination, check_url_syntax

logger = logging.getLogger("clearhouse.webhooks")

RESPONSE_EXCERPT_BYTES = 1024
REQUEST_EXCERPT_CHARS = 4096
METADATA_URL_KEYS = ("webhook_url", "webhookUrl", "callback_url", "callbackUrl")
FAILING_DISABLE_AFTER = timedelta(days=3)
TEST_EVENT_TYPE = "webhook_endpoint.test"


def _setting(name: str, default):
    return getattr(settings, name, default)


# ---------------------------------------------------------------------------------------------
# publishing to the broker
# ---------------------------------------------------------------------------------------------

# Fail fast when the broker is down: the outbox sweeper re-drives whatever was not published.
_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def _publish(task, *args) -> bool:
    options = {}
    queue = _setting("WEBHOOKS_TASK_QUEUE", "")
    if queue:
        options["queue"] = queue
    try:
        task.apply_async(args=args, retry=True, retry_policy=_PUBLISH_RETRY_POLICY, **options)
    except (OperationalError, KombuError, OSError) as exc:
        logger.warning("broker unavailable, %s(%s) left for the sweeper: %s", task.name, args, exc)
        return False
    return True


def _after_commit(fn, *args) -> None:
    """Runs fn(*args) once the current transaction commits; a failure there is logged and never
    reaches the caller, whose change is already committed."""

    def callback():
        fn(*args)

    callback.__qualname__ = f"webhooks.{fn.__name__}"
    transaction.on_commit(callback, robust=True)


def _tasks():
    from . import tasks

    return tasks


# ---------------------------------------------------------------------------------------------
# events (outbox)
# ---------------------------------------------------------------------------------------------


def event_record(
    *, merchant, livemode: bool, type: str, data: dict, previous_attributes: dict | None = None
) -> Event:
    """Writes the outbox row. Call inside the transaction of the state change it describes;
    the fan-out is published when that transaction commits."""
    event = Event.objects.create(
        merchant=merchant,
        livemode=livemode,
        type=type,
        api_version=settings.API_VERSION,
        data={"object": data},
        previous_attributes=previous_attributes,
        request_id=get_request_id(),
    )
    _enqueue_on_commit(event.pk)
    return event


def events_record(*, merchant, livemode: bool, events: list[tuple[str, dict, dict | None]]) -> list[Event]:
    """Several outbox rows of one state change as one INSERT: `events` is [(type, data,
    previous_attributes)], in order. Same contract as `event_record`."""
    now = timezone.now()
    request_id = get_request_id()
    rows = [
        Event(
            public_id=generate_id(Event.ID_PREFIX),
            created_at=now,
            updated_at=now,
            merchant=merchant,
            livemode=livemode,
            type=type_,
            api_version=settings.API_VERSION,
            data={"object": data},
            previous_attributes=previous,
            request_id=request_id,
        )
        for type_, data, previous in events
    ]
    Event.objects.bulk_create(rows)
    for row in rows:
        _enqueue_on_commit(row.pk)
    return rows


@contextlib.contextmanager
def events_publish_deferred():
    """Events committed by the transactions run inside this block (outside any transaction) are
    published together when it exits, with one broker message and one UPDATE (create+confirm
    commits twice within one request). The rows are committed as before; until published they
    have `enqueued_at` null, which is what `events_outbox_sweep` re-drives after a crash."""
    conn = transaction.get_connection()
    if conn.in_atomic_block or getattr(conn, "_clearhouse_outbox_deferred", None) is not None:
        yield
        return
    pending: list[int] = []
    conn._clearhouse_outbox_deferred = pending
    try:
        yield
    finally:
        conn._clearhouse_outbox_deferred = None
        try:
            _events_enqueue(pending)
        except Exception:  # the changes are committed; the sweeper publishes what is left
            logger.exception("outbox: publishing %d deferred events failed", len(pending))


def _event_enqueue(event_pk: int) -> None:
    _events_enqueue([event_pk])


def _events_enqueue(event_pks: list[int]) -> None:
    """One broker message and one UPDATE for the events of one committed transaction."""
    if not event_pks:
        return
    if len(event_pks) == 1:
        published = _publish(_tasks().event_fan_out_task, event_pks[0])
    else:
        published = _publish(_tasks().events_fan_out_task, list(event_pks))
    if published:
        Event.objects.filter(pk__in=event_pks, enqueued_at__isnull=True).update(enqueued_at=timezone.now())


class _OutboxBatch:
    """The events written by one transaction, published together when it commits (one broker
    message and one UPDATE instead of one of each per event).

    A batch belongs to the connection's list of on-commit callbacks (`run_on_commit`), which
    Django replaces at every commit, rollback and savepoint rollback: a later event after any of
    those starts a new batch with its own callback. An event written in a savepoint that was
    rolled back may stay in the batch of its transaction; publishing its id is harmless (the
    fan-out finds no row, the UPDATE matches none). Anything not published is re-driven by
    `events_outbox_sweep`."""

    __slots__ = ("flushed", "owner", "pks")

    def __init__(self, owner: list):
        self.owner = owner
        self.pks: list[int] = []
        self.flushed = False

    def flush(self) -> None:
        if self.flushed:
            return
        self.flushed = True
        deferred = getattr(transaction.get_connection(), "_clearhouse_outbox_deferred", None)
        if deferred is not None:
            deferred.extend(self.pks)
        else:
            _events_enqueue(self.pks)

    flush.__qualname__ = "webhooks._events_enqueue"


def _enqueue_on_commit(event_pk: int) -> None:
    conn = transaction.get_connection()
    if not conn.in_atomic_block:  # autocommit: the row is committed already
        _events_enqueue([event_pk])
        return
    batch = getattr(conn, "_clearhouse_outbox_batch", None)
    if batch is None or batch.flushed or batch.owner is not conn.run_on_commit:
        batch = _OutboxBatch(conn.run_on_commit)
        conn._clearhouse_outbox_batch = batch
    batch.pks.append(event_pk)
    if len(batch.pks) == 1:
        transaction.on_commit(batch.flush, robust=True)


def _metadata_url(event: Event) -> str:
    obj = (event.data or {}).get("object") or {}
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict):
        return ""
    for key in METADATA_URL_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def event_fan_out(*, event_id: int) -> list[int]:
    """Writes the Delivery rows of an event (once) and publishes their send tasks on commit."""
    now = timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.fanned_out_at is not None:
            return []
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(
                merchant_id=event.merchant_id,
                livemode=event.livemode,
                status=WebhookEndpoint.Status.ENABLED,
                deleted_at__isnull=True,
            ).order_by("id")
            if endpoint_matches(e, event.type)
        ]
        rows = [
            Delivery(
                public_id=generate_id(Delivery.ID_PREFIX),
                event=event,
                endpoint=e,
                merchant_id=event.merchant_id,
                livemode=event.livemode,
                url=e.url,
                schedule_started_at=now,
                next_attempt_at=now,
                enqueued_at=now,
            )
            for e in endpoints
        ]
        url = _metadata_url(event)
        if url and all(e.url != url for e in endpoints):
            try:
                check_url_syntax(url, livemode=event.livemode)
            except WebhookUrlRefused as exc:
                logger.info("event %s: metadata webhook url refused: %s", event.public_id, exc)
            else:
                if default_signing_endpoint(merchant_id=event.merchant_id, livemode=event.livemode):
                    rows.append(
                        Delivery(
                            public_id=generate_id(Delivery.ID_PREFIX),
                            event=event,
                            endpoint=None,
                            merchant_id=event.merchant_id,
                            livemode=event.livemode,
                            url=url[:2048],
                            schedule_started_at=now,
                            next_attempt_at=now,
                            enqueued_at=now,
                        )
                    )
                else:
                    logger.info(
                        "event %s: metadata webhook url ignored, the merchant has no endpoint whose "
                        "secret could sign it",
                        event.public_id,
                    )
        created = Delivery.objects.bulk_create(rows)
        event.fanned_out_at = now
        event.enqueued_at = event.enqueued_at or now
        event.save(update_fields=["fanned_out_at", "enqueued_at", "updated_at"])
        ids = [d.pk for d in created]
        if ids:
            _after_commit(_publish_deliveries, ids)
    return ids


def _publish_deliveries(ids: list[int]) -> None:
    task = _tasks().delivery_send_task
    for index, pk in enumerate(ids):
        if not _publish(task, pk):
            # Let the sweeper pick the rest up at once rather than after the re-enqueue delay.
            Delivery.objects.filter(pk__in=ids[index:]).update(enqueued_at=None)
            return


def events_outbox_sweep(*, older_than_seconds: float | None = None, limit: int = 500) -> int:
    """Fans out events whose publish never happened (broker outage, crash between commit and
    publish) or whose fan-out message was lost. Runs inside a worker, so it fans out in place."""
    now = timezone.now()
    if older_than_seconds is None:
        older_than_seconds = _setting("WEBHOOKS_OUTBOX_GRACE_SECONDS", 10)
    cutoff = now - timedelta(seconds=older_than_seconds)
    lost_cutoff = now - timedelta(seconds=_setting("WEBHOOKS_REENQUEUE_AFTER_SECONDS", 60) * 10)
    ids = list(
        Event.objects.filter(enqueued_at__isnull=True, created_at__lte=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    ids += list(
        Event.objects.filter(fanned_out_at__isnull=True, enqueued_at__lte=lost_cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[: max(0, limit - len(ids))]
    )
    for pk in ids:
        event_fan_out(event_id=pk)
    return len(ids)


def events_purge(*, older_than_days: int | None = None, batch: int = 1000) -> int:
    """Retention: events (with their deliveries and attempts) older than 30 days go."""
    days = older_than_days if older_than_days is not None else _setting("WEBHOOKS_EVENT_RETENTION_DAYS", 30)
    cutoff = timezone.now() - timedelta(days=days)
    total = 0
    while True:
        ids = list(Event.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery__event_id__in=ids).delete()
            Delivery.objects.filter(event_id__in=ids).delete()
            Event.objects.filter(pk__in=ids).delete()
        total += len(ids)


# ---------------------------------------------------------------------------------------------
# endpoints
# ---------------------------------------------------------------------------------------------


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
        if pattern not in clean:
            clean.append(pattern)
    return clean


def _audit_view(endpoint: WebhookEndpoint) -> dict:
    return webhook_endpoint_payload(endpoint)


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
            after=_audit_view(endpoint),
        )
    return endpoint, secret


def _lock_endpoint(endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)


def webhook_endpoint_update(*, endpoint_id: int, actor: Actor, **changes) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint_id)
        if endpoint.deleted_at:
            raise NotFoundError("webhook_endpoint", endpoint.public_id)
        before = _audit_view(endpoint)
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
            after=_audit_view(endpoint),
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
        endpoint = _lock_endpoint(endpoint_id)
        before = _audit_view(endpoint)
        _set_enabled(endpoint, enabled=enabled, reason=WebhookEndpoint.DisabledReason.MANUAL)
        endpoint.save()
        audit_record(
            actor=actor,
            action="webhook_endpoint.enabled" if enabled else "webhook_endpoint.disabled",
            merchant=endpoint.merchant,
            obj=endpoint,
            before=before,
            after=_audit_view(endpoint),
            reason=reason,
        )
    return endpoint


def webhook_endpoint_delete(*, endpoint_id: int, actor: Actor) -> WebhookEndpoint:
    """Soft delete: the endpoint stops receiving and disappears from the API; its delivery log
    stays for support."""
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint_id)
        before = _audit_view(endpoint)
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
        endpoint = _lock_endpoint(endpoint_id)
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
        endpoint = _lock_endpoint(endpoint_id)
        if endpoint.status != WebhookEndpoint.Status.ENABLED:
            raise WebhookEndpointDisabled()
        event = Event.objects.create(
            merchant=endpoint.merchant,
            livemode=endpoint.livemode,
            type=TEST_EVENT_TYPE,
            api_version=endpoint.api_version,
            data={"object": webhook_endpoint_payload(endpoint)},
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
        _after_commit(_publish_deliveries, [delivery.pk])
    return delivery


# ---------------------------------------------------------------------------------------------
# delivery
# ---------------------------------------------------------------------------------------------


@dataclass
class _HttpResult:
    status: int | None
    body_excerpt: str
    latency_ms: int
    error: str = ""
    permanent: bool = False  # no point retrying (the URL is refused by the SSRF guard in live mode)


_session_holder: dict[str, requests.Session] = {}


def _session() -> requests.Session:
    # One keep-alive session per worker process (prefork children each get their own).
    session = _session_holder.get("session")
    if session is None:
        session = requests.Session()
        session.trust_env = False
        _session_holder["session"] = session
    return session


def _http_post(url: str, *, body: bytes, headers: dict[str, str], livemode: bool) -> _HttpResult:
    try:
        check_url_destination(url, livemode=livemode)
    except WebhookUrlRefused as exc:
        return _HttpResult(None, "", 0, error=f"{exc.code}: {exc}", permanent=livemode)
    timeout = _setting("WEBHOOKS_DELIVERY_TIMEOUT_SECONDS", 15)
    started = time.monotonic()
    try:
        response = _session().post(
            url,
            data=body,
            headers=headers,
            timeout=(min(timeout, 5), timeout),
            allow_redirects=False,
            stream=True,
        )
        try:
            raw = response.raw.read(RESPONSE_EXCERPT_BYTES + 1, decode_content=True) or b""
        finally:
            response.close()
        excerpt = raw[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace")
        return _HttpResult(response.status_code, excerpt, int((time.monotonic() - started) * 1000))
    except requests.Timeout:
        return _HttpResult(None, "", int((time.monotonic() - started) * 1000), error="timeout")
    except requests.RequestException as exc:
        return _HttpResult(
            None, "", int((time.monotonic() - started) * 1000), error=f"{type(exc).__name__}: {exc}"[:500]
        )


def delivery_body(delivery: Delivery) -> bytes:
    pending = Delivery.objects.filter(event_id=delivery.event_id, status=Delivery.Status.PENDING).count()
    payload = event_payload(delivery.event, pending_webhooks=pending)
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def delivery_send(*, delivery_id: int) -> str:
    """One attempt. Returns what happened: skipped | succeeded | retrying | failed."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if delivery is None:
            return "skipped"
        endpoint = delivery.endpoint
        if endpoint is not None and (
            endpoint.status != WebhookEndpoint.Status.ENABLED or endpoint.deleted_at
        ):
            _finish(delivery, status=Delivery.Status.FAILED, error="endpoint_disabled")
            return "failed"
        signer = endpoint or default_signing_endpoint(
            merchant_id=delivery.merchant_id, livemode=delivery.livemode
        )
        if signer is None:
            _finish(delivery, status=Delivery.Status.FAILED, error="no_signing_secret")
            return "failed"
        url = endpoint.url if endpoint is not None else delivery.url
        body = delivery_body(delivery)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Clearhouse-Webhooks/1.0",
            **signature_headers(
                secrets_=endpoint_secrets(signer),
                msg_id=delivery.event.public_id,
                timestamp=timestamp,
                body=body,
            ),
        }
        attempted_at = timezone.now()
        result = _http_post(url, body=body, headers=headers, livemode=delivery.livemode)
        return _record_attempt(
            delivery, url=url, body=body, headers=headers, attempted_at=attempted_at, result=result
        )


def _finish(delivery: Delivery, *, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.last_error = error[:500]
    delivery.next_attempt_at = None
    delivery.enqueued_at = None
    delivery.save(update_fields=["status", "last_error", "next_attempt_at", "enqueued_at", "updated_at"])


def _record_attempt(
    delivery: Delivery, *, url: str, body: bytes, headers: dict, attempted_at, result: _HttpResult
) -> str:
    now = timezone.now()
    ok = result.status is not None and 200 <= result.status < 300
    delivery.attempt_count += 1
    delivery.schedule_attempt += 1
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count,
        attempted_at=attempted_at,
        url=url,
        outcome=DeliveryAttempt.Outcome.SUCCEEDED if ok else DeliveryAttempt.Outcome.FAILED,
        response_status=result.status,
        latency_ms=result.latency_ms,
        error=result.error[:500],
        request_headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        request_body_excerpt=body[:REQUEST_EXCERPT_CHARS].decode("utf-8", "replace"),
        response_body_excerpt=result.body_excerpt,
    )
    delivery.last_attempt_at = attempted_at
    delivery.last_response_status = result.status
    delivery.enqueued_at = None
    endpoint = delivery.endpoint
    if ok:
        delivery.status = Delivery.Status.SUCCEEDED
        delivery.succeeded_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
        if endpoint is not None and endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        outcome = "succeeded"
    else:
        delivery.last_error = (result.error or f"HTTP {result.status}")[:500]
        nxt = None
        if not result.permanent and not (result.status == 410 and endpoint is not None):
            nxt = retry.next_attempt_at(
                attempts_made=delivery.schedule_attempt,
                now=now,
                schedule_started_at=delivery.schedule_started_at,
            )
        delivery.next_attempt_at = nxt
        delivery.status = Delivery.Status.PENDING if nxt else Delivery.Status.FAILED
        outcome = "retrying" if nxt else "failed"
        if endpoint is not None:
            if result.status == 410:
                _endpoint_auto_disable(endpoint.pk, reason=WebhookEndpoint.DisabledReason.GONE)
            else:
                WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                    failing_since=attempted_at
                )
                since = endpoint.failing_since or attempted_at
                if now - since >= FAILING_DISABLE_AFTER:
                    _endpoint_auto_disable(endpoint.pk, reason=WebhookEndpoint.DisabledReason.FAILING)
    delivery.save()
    return outcome


def _endpoint_auto_disable(endpoint_id: int, *, reason: str) -> None:
    """Disables an endpoint the system gave up on, tells the merchant with an event
    (`webhook_endpoint.disabled`, delivered to their other endpoints and listed in /v1/events)
    and writes the audit entry. Runs inside the delivery's transaction."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.status == WebhookEndpoint.Status.DISABLED:
        return
    before = _audit_view(endpoint)
    _set_enabled(endpoint, enabled=False, reason=reason)
    endpoint.save()
    label = WebhookEndpoint.DisabledReason(reason).label
    audit_record(
        actor=Actor.system("webhooks"),
        action="webhook_endpoint.disabled",
        merchant=endpoint.merchant,
        obj=endpoint,
        before=before,
        after=_audit_view(endpoint),
        reason=label,
    )
    event_record(
        merchant=endpoint.merchant,
        livemode=endpoint.livemode,
        type="webhook_endpoint.disabled",
        data=webhook_endpoint_payload(endpoint),
        previous_attributes={"status": WebhookEndpoint.Status.ENABLED},
    )


def deliveries_sweep(*, limit: int = 500) -> int:
    """Publishes send tasks for due deliveries (retries, and first attempts whose publish was
    lost). A row already published recently is left alone so a backlog is not amplified."""
    now = timezone.now()
    stale = now - timedelta(seconds=_setting("WEBHOOKS_REENQUEUE_AFTER_SECONDS", 60))
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    if ids:
        _publish_deliveries(ids)
    return len(ids)


def deliveries_retry_failed(
    *, merchant, livemode: bool, actor: Actor, endpoint_id: str | None = None, reason: str = ""
) -> int:
    """Re-drives failed deliveries (of enabled endpoints) with a fresh retry schedule."""
    now = timezone.now()
    qs = Delivery.objects.filter(merchant=merchant, livemode=livemode, status=Delivery.Status.FAILED).filter(
        Q(endpoint__isnull=True)
        | Q(endpoint__status=WebhookEndpoint.Status.ENABLED, endpoint__deleted_at__isnull=True)
    )
    if endpoint_id:
        endpoint = endpoint_get(merchant=merchant, livemode=livemode, id=endpoint_id)
        qs = qs.filter(endpoint=endpoint)
    with transaction.atomic():
        ids = list(qs.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:10_000])
        _redrive(ids, now=now)
        audit_record(
            actor=actor,
            action="webhook_deliveries.retried",
            merchant=merchant,
            object_type="webhooks.delivery",
            object_id=endpoint_id or "",
            after={"count": len(ids), "livemode": livemode},
            reason=reason,
        )
    return len(ids)


def deliveries_redrive(*, delivery_ids: list[int], actor: Actor, reason: str = "") -> int:
    """Back-office replay: sends the selected deliveries again (succeeded ones included)."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(pk__in=delivery_ids)
        )
        _redrive([d.pk for d in rows], now=now)
        for d in rows:
            audit_record(
                actor=actor,
                action="webhook_delivery.replayed",
                merchant=d.merchant,
                obj=d,
                before={"status": d.status},
                reason=reason,
            )
    return len(rows)


def _redrive(ids: list[int], *, now) -> None:
    if not ids:
        return
    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        schedule_attempt=0,
        schedule_started_at=now,
        enqueued_at=now,
        last_error="",
        updated_at=now,
    )
    _after_commit(_publish_deliveries, list(ids))


# ---------------------------------------------------------------------------------------------
# inbound gateway webhooks
# ---------------------------------------------------------------------------------------------

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


def _inbound_handlers(event_type: str):
    """The service that applies a verified provider event, by type. Other apps own the state;
    we only route (and tell which service is missing, so the row can be retried later)."""
    if event_type.startswith("charge.dispute.") or event_type.startswith("dispute."):
        return "apps.disputes.services", "dispute_apply_inbound_event"
    if event_type.startswith("charge."):
        return "apps.intents.services", "charge_apply_inbound_event"
    if event_type.startswith("refund."):
        return "apps.refunds.services", "refund_apply_inbound_event"
    return None, None


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent package does not exist
        return False


def _apply_inbound(*, connector, event) -> str:
    module_name, function_name = _inbound_handlers(event.type)
    if module_name is None:
        return "ignored:unhandled_type"
    if not _module_available(module_name):
        if module_name == "apps.disputes.services":
            # No disputes app yet: the callback is kept (status ignored) so it can be replayed
            # from the admin log once disputes exist.
            return "ignored:disputes_not_supported"
        raise LookupError(f"{module_name} is not available")
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if handler is None:
        if module_name == "apps.disputes.services":
            return "ignored:disputes_not_supported"
        raise LookupError(f"{module_name}.{function_name} is not available")
    return str(handler(connector=connector, event=event))


def inbound_webhook_receive(
    *, connector_ref: str, body: bytes, headers: dict[str, str], remote_ip: str | None = None
) -> InboundOutcome:
    """Stores the raw callback first, verifies it with the connector's adapter, deduplicates on
    (connector, provider event id) and applies it through the owning app's service."""
    from apps.connectors import gateway
    from apps.connectors.base import InboundWebhookError
    from apps.connectors.models import Connector

    connector = Connector.objects.select_related("merchant").filter(public_id=connector_ref[:40]).first()
    row = InboundWebhook.objects.create(
        connector=connector,
        connector_ref=connector_ref[:64],
        merchant=connector.merchant if connector else None,
        livemode=connector.livemode if connector else False,
        provider=connector.code if connector else "",
        headers={k: v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
        body=body[:MAX_STORED_BODY].decode("utf-8", "replace"),
        remote_ip=remote_ip or None,
    )
    if connector is None:
        _inbound_mark(row, status=InboundWebhook.Status.REJECTED, error="unknown connector")
        raise NotFoundError("connector", connector_ref, param="connector_id")
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

    identity = {
        "provider_event_id": event.provider_event_id[:255],
        "event_type": event.type[:100],
        "gateway_reference": (event.gateway_reference or "")[:255],
    }
    original = _inbound_claim(row, connector=connector, identity=identity)
    if original is not None:
        _inbound_mark(row, status=InboundWebhook.Status.DUPLICATE, duplicate_of=original, **identity)
        return InboundOutcome(row, duplicate=True)

    try:
        result = _apply_inbound(connector=connector, event=event)
    except Exception as exc:
        logger.exception("inbound webhook %s (%s) failed", row.pk, event.provider_event_id)
        _inbound_mark(row, status=InboundWebhook.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise InboundWebhookProcessingFailed() from exc
    status = InboundWebhook.Status.PROCESSED if result == "applied" else InboundWebhook.Status.IGNORED
    _inbound_mark(row, status=status, result=result[:100], processed_at=timezone.now())
    return InboundOutcome(row)


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
