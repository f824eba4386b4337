"""Delivery: fan-out of events to endpoints, signed sends with retries, the sweepers, and the
re-drives support asks for.

1. `event_fan_out` writes one Delivery row per matching endpoint (plus the per-payment URL from
   the object's metadata), idempotently, and publishes one send task per delivery on commit.
2. `delivery_send` claims the row with SELECT … FOR UPDATE SKIP LOCKED, signs, POSTs (15 s
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

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.clock import ClockScope, clock_filter
from apps.core.ids import generate_id

from .. import retry
from ..errors import WebhookUrlRefused
from ..models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from ..payloads import event_payload
from ..selectors import default_signing_endpoint, endpoint_get, endpoint_matches
from ..signing import signature_headers
from ..ssrf import check_url_destination, check_url_syntax
from . import publishing
from .endpoints import endpoint_secrets, webhook_endpoint_auto_disable

logger = logging.getLogger("clearhouse.webhooks")

RESPONSE_EXCERPT_BYTES = 1024
REQUEST_EXCERPT_CHARS = 4096
METADATA_URL_KEYS = ("webhook_url", "webhookUrl", "callback_url", "callbackUrl")
FAILING_DISABLE_AFTER = timedelta(days=3)


# --- fan-out ------------------------------------------------------------------------------------


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


def _new_delivery(event: Event, *, endpoint: WebhookEndpoint | None, url: str, now) -> Delivery:
    return Delivery(
        public_id=generate_id(Delivery.ID_PREFIX),
        event=event,
        endpoint=endpoint,
        merchant_id=event.merchant_id,
        livemode=event.livemode,
        url=url,
        schedule_started_at=now,
        next_attempt_at=now,
        enqueued_at=now,
    )


def _metadata_delivery(event: Event, endpoints: list[WebhookEndpoint], *, now) -> Delivery | None:
    """The delivery to the per-payment URL named in the object's metadata, signed with the
    secret of the merchant's default endpoint; None when there is no such URL or it is refused."""
    url = _metadata_url(event)
    if not url or any(e.url == url for e in endpoints):
        return None
    try:
        check_url_syntax(url, livemode=event.livemode)
    except WebhookUrlRefused as exc:
        logger.info("event %s: metadata webhook url refused: %s", event.public_id, exc)
        return None
    if not default_signing_endpoint(merchant_id=event.merchant_id, livemode=event.livemode):
        logger.info(
            "event %s: metadata webhook url ignored, the merchant has no endpoint whose secret could sign it",
            event.public_id,
        )
        return None
    return _new_delivery(event, endpoint=None, url=url[:2048], now=now)


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
        rows = [_new_delivery(event, endpoint=e, url=e.url, now=now) for e in endpoints]
        extra = _metadata_delivery(event, endpoints, now=now)
        if extra is not None:
            rows.append(extra)
        created = Delivery.objects.bulk_create(rows)
        event.fanned_out_at = now
        event.enqueued_at = event.enqueued_at or now
        event.save(update_fields=["fanned_out_at", "enqueued_at", "updated_at"])
        ids = [d.pk for d in created]
        if ids:
            publishing.after_commit(publishing.deliveries_publish, ids)
    return ids


def events_outbox_sweep(*, older_than_seconds: float | None = None, limit: int = 500) -> int:
    """Fans out events whose publish never happened (broker outage, crash between commit and
    publish) or whose fan-out message was lost. Runs inside a worker, so it fans out in place."""
    now = timezone.now()
    if older_than_seconds is None:
        older_than_seconds = publishing.setting("WEBHOOKS_OUTBOX_GRACE_SECONDS", 10)
    cutoff = now - timedelta(seconds=older_than_seconds)
    lost_cutoff = now - timedelta(seconds=publishing.setting("WEBHOOKS_REENQUEUE_AFTER_SECONDS", 60) * 10)
    ids = list(
        Event.objects.filter(fanned_out_at__isnull=True, enqueued_at__isnull=True, created_at__lte=cutoff)
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


# --- one attempt --------------------------------------------------------------------------------


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
    timeout = publishing.setting("WEBHOOKS_DELIVERY_TIMEOUT_SECONDS", 15)
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


def delivery_send(*, delivery_id: int, now=None) -> str:
    """One attempt. Returns what happened: skipped | succeeded | retrying | failed. ``now`` is a
    test clock's time (apps.core.clock): the retry schedule runs on it; the signature's timestamp
    stays the wall clock's, as the receiver checks it against its own."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(
                pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
            )
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
        return _attempt_record(
            delivery, url=url, body=body, headers=headers, attempted_at=attempted_at, result=result, now=now
        )


def _finish(delivery: Delivery, *, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.last_error = error[:500]
    delivery.next_attempt_at = None
    delivery.enqueued_at = None
    delivery.save(update_fields=["status", "last_error", "next_attempt_at", "enqueued_at", "updated_at"])


def _attempt_record(
    delivery: Delivery, *, url: str, body: bytes, headers: dict, attempted_at, result: _HttpResult, now=None
) -> str:
    """Logs the attempt and moves the delivery on: succeeded, retried later, or failed."""
    now = now or timezone.now()
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
    if ok:
        outcome = _attempt_succeeded(delivery, now=now)
    else:
        outcome = _attempt_failed(delivery, result=result, attempted_at=attempted_at, now=now)
    delivery.save()
    return outcome


def _attempt_succeeded(delivery: Delivery, *, now) -> str:
    delivery.status = Delivery.Status.SUCCEEDED
    delivery.succeeded_at = now
    delivery.next_attempt_at = None
    delivery.last_error = ""
    endpoint = delivery.endpoint
    if endpoint is not None and endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    return "succeeded"


def _attempt_failed(delivery: Delivery, *, result: _HttpResult, attempted_at, now) -> str:
    """Schedules the next attempt (or gives up) and disables an endpoint that answered 410 Gone
    or has been failing for longer than FAILING_DISABLE_AFTER."""
    endpoint = delivery.endpoint
    delivery.last_error = (result.error or f"HTTP {result.status}")[:500]
    next_at = None
    if not result.permanent and not (result.status == 410 and endpoint is not None):
        next_at = retry.next_attempt_at(
            attempts_made=delivery.schedule_attempt,
            now=now,
            schedule_started_at=delivery.schedule_started_at,
        )
    delivery.next_attempt_at = next_at
    delivery.status = Delivery.Status.PENDING if next_at else Delivery.Status.FAILED
    if endpoint is not None:
        if result.status == 410:
            webhook_endpoint_auto_disable(endpoint_id=endpoint.pk, reason=WebhookEndpoint.DisabledReason.GONE)
        else:
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=attempted_at
            )
            since = endpoint.failing_since or attempted_at
            if now - since >= FAILING_DISABLE_AFTER:
                webhook_endpoint_auto_disable(
                    endpoint_id=endpoint.pk, reason=WebhookEndpoint.DisabledReason.FAILING
                )
    return "retrying" if next_at else "failed"


# --- sweeper and re-drives ----------------------------------------------------------------------


def deliveries_sweep(*, limit: int = 500) -> int:
    """Publishes send tasks for due deliveries (retries, and first attempts whose publish was
    lost). A row already published recently is left alone so a backlog is not amplified.
    Deliveries that run on a test clock are left to it (``deliveries_sweep_clock``)."""
    now = timezone.now()
    stale = now - timedelta(seconds=publishing.setting("WEBHOOKS_REENQUEUE_AFTER_SECONDS", 60))
    with transaction.atomic():
        ids = list(
            clock_filter(Delivery.objects.select_for_update(skip_locked=True))
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    if ids:
        publishing.deliveries_publish(ids)
    return len(ids)


def deliveries_sweep_clock(now, scope: ClockScope, *, max_attempts: int = 500) -> int:
    """A test clock's advance (apps.core.clock): every attempt of the clock's deliveries that
    falls due up to its ``now`` is made, earliest first, each at its own due time, so the next
    one is scheduled on the clock's time (an advance over three days walks a failing endpoint
    through the whole retry schedule, to `failed`). Returns the number of attempts made."""
    made = 0
    pending = scope.filter(Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now))
    while made < max_attempts:
        due = pending.order_by("next_attempt_at", "pk").values_list("pk", "next_attempt_at").first()
        if due is None:
            break
        if delivery_send(delivery_id=due[0], now=max(due[1], scope.previous)) == "skipped":
            break  # locked by a worker sending it now: the next advance sees it
        made += 1
    return made


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
    publishing.after_commit(publishing.deliveries_publish, list(ids))
