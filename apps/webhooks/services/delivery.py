"""Delivery: fan-out of events to endpoints, the sweepers, and the re-drives support asks for.

1. `events_fan_out` writes one Delivery row per matching endpoint (plus the per-payment URL from
   the object's metadata) for a batch of events in one transaction of four statements,
   idempotently, and on commit hands them to `deliveries_dispatch`
   (services/sending.py: sent at once from the worker that fanned out, or published).
2. Sending — claim with a lease, sign, send concurrently, record the attempt and schedule the
   next one in `next_attempt_at` — is services/sending.py.
3. `deliveries_sweep` (beat, every few seconds) publishes send tasks for due rows whose lease is
   free or expired: retries are driven by that column, never by long broker countdowns.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.clock import ClockScope, clock_filter
from apps.core.ids import generate_id

from ..errors import WebhookUrlRefused
from ..models import Delivery, Event, WebhookEndpoint
from ..selectors import endpoint_get, event_type_matches
from ..ssrf import check_url_syntax
from . import publishing
from .dispatch import deliveries_dispatch
from .sending import delivery_send, slot_key

logger = logging.getLogger("clearhouse.webhooks")

METADATA_URL_KEYS = ("webhook_url", "webhookUrl", "callback_url", "callbackUrl")


# --- fan-out ------------------------------------------------------------------------------------


FAN_OUT_CHUNK = 200  # events per fan-out transaction (the sweeper's, the dispatcher's)


def _metadata_url(event) -> str:
    obj = (event.data or {}).get("object") or {}
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict):
        return ""
    for key in METADATA_URL_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _new_delivery(event: _Fanned, *, endpoint_id: int | None, url: str, now) -> Delivery:
    return Delivery(
        public_id=generate_id(Delivery.ID_PREFIX),
        created_at=now,
        updated_at=now,
        event_id=event.pk,
        endpoint_id=endpoint_id,
        merchant_id=event.merchant_id,
        livemode=event.livemode,
        url=url,
        schedule_started_at=now,
        next_attempt_at=now,
        enqueued_at=now,
    )


class _Fanned(NamedTuple):
    """The columns of an event the fan-out reads (no model instance: issue 21, item 3)."""

    pk: int
    public_id: str
    merchant_id: int
    livemode: bool
    type: str
    data: dict


def _metadata_delivery(event: _Fanned, endpoints: list[_Endpoint], *, can_sign: bool, now) -> Delivery | None:
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
    if not can_sign:
        logger.info(
            "event %s: metadata webhook url ignored, the merchant has no endpoint whose secret could sign it",
            event.public_id,
        )
        return None
    return _new_delivery(event, endpoint_id=None, url=url[:2048], now=now)


class _Endpoint(NamedTuple):
    pk: int
    url: str
    enabled_events: list


def _endpoints_by_tenant(events: list[_Fanned]) -> dict[tuple[int, bool], list[_Endpoint]]:
    """The enabled endpoints of every (merchant, mode) among `events`, oldest first: one query.
    The first of each list is the merchant's default (signing) endpoint, as
    `default_signing_endpoint` chooses it."""
    tenants = {(e.merchant_id, e.livemode) for e in events}
    match = Q()
    for merchant_id, livemode in tenants:
        match |= Q(merchant_id=merchant_id, livemode=livemode)
    found: dict[tuple[int, bool], list[_Endpoint]] = {t: [] for t in tenants}
    rows = (
        WebhookEndpoint.objects.filter(match, status=WebhookEndpoint.Status.ENABLED, deleted_at__isnull=True)
        .order_by("id")
        .values_list("merchant_id", "livemode", "pk", "url", "enabled_events")
    )
    for merchant_id, livemode, pk, url, enabled in rows:
        found[(merchant_id, livemode)].append(_Endpoint(pk, url, enabled or []))
    return found


def events_fan_out(*, event_ids: list[int]) -> list[int]:
    """Writes the Delivery rows of many events (each once) in one transaction of four
    statements whatever their number — lock the events not yet fanned out, read their tenants'
    endpoints, one INSERT of the deliveries, one UPDATE marking the events — and hands the new
    deliveries to `deliveries_dispatch` on commit. Events are locked in id order (two fan-outs
    of overlapping batches queue, never deadlock); an event another fan-out marked while this
    one waited for its lock is left out by the re-checked `fanned_out_at IS NULL`."""
    if not event_ids:
        return []
    with transaction.atomic():
        locked = Event.objects.select_for_update().filter(pk__in=event_ids, fanned_out_at__isnull=True)
        return _fan_out(locked.order_by("pk"))[1]


def events_fan_out_pending(*, limit: int = FAN_OUT_CHUNK) -> tuple[int, list[int]]:
    """A coalesced wake-up's pull: fans out the oldest `limit` events not yet fanned out that no
    other fan-out holds (`FOR UPDATE SKIP LOCKED` on the outbox sweeper's partial index, so two
    workers draining at once take disjoint batches and never wait for each other). Returns how
    many events it took (fewer than `limit`: nothing more is waiting) and the new deliveries."""
    with transaction.atomic():
        locked = (
            Event.objects.select_for_update(skip_locked=True)
            .filter(fanned_out_at__isnull=True)
            .order_by("created_at")[:limit]
        )
        return _fan_out(locked)


def _fan_out(locked) -> tuple[int, list[int]]:
    """The fan-out of the events `locked` selects (in the caller's transaction)."""
    now = timezone.now()
    events = [
        _Fanned(*row)
        for row in locked.values_list("pk", "public_id", "merchant_id", "livemode", "type", "data")
    ]
    if not events:
        return 0, []
    by_tenant = _endpoints_by_tenant(events)
    rows: list[Delivery] = []
    for event in events:
        tenant = by_tenant[(event.merchant_id, event.livemode)]
        matching = [e for e in tenant if any(event_type_matches(p, event.type) for p in e.enabled_events)]
        rows += [_new_delivery(event, endpoint_id=e.pk, url=e.url, now=now) for e in matching]
        extra = _metadata_delivery(event, matching, can_sign=bool(tenant), now=now)
        if extra is not None:
            rows.append(extra)
    created = Delivery.objects.bulk_create(rows)
    Event.objects.filter(pk__in=[e.pk for e in events]).update(
        fanned_out_at=now, enqueued_at=Coalesce("enqueued_at", Value(now)), updated_at=now
    )
    ids = [d.pk for d in created]
    if ids:
        keys = [slot_key(d.endpoint_id, d.url) for d in created]
        publishing.after_commit(deliveries_dispatch, ids, keys)
    return len(events), ids


def event_fan_out(*, event_id: int) -> list[int]:
    """Writes the Delivery rows of an event (once) and dispatches them on commit."""
    return events_fan_out(event_ids=[event_id])


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
    for index in range(0, len(ids), FAN_OUT_CHUNK):
        events_fan_out(event_ids=ids[index : index + FAN_OUT_CHUNK])
    return len(ids)


# --- sweeper and re-drives ----------------------------------------------------------------------


def deliveries_sweep(*, limit: int = 500) -> int:
    """Publishes send tasks for due deliveries (retries, first attempts whose publish was lost,
    claims whose worker died and whose lease expired). A row already published recently is left
    alone so a backlog is not amplified. Deliveries that run on a test clock are left to it
    (``deliveries_sweep_clock``)."""
    now = timezone.now()
    stale = now - timedelta(seconds=publishing.setting("WEBHOOKS_REENQUEUE_AFTER_SECONDS", 60))
    with transaction.atomic():
        ids = list(
            clock_filter(Delivery.objects.select_for_update(skip_locked=True))
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
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
        lease_until=None,  # a send in flight no longer owns it: its outcome is not recorded
        last_error="",
        updated_at=now,
    )
    publishing.after_commit(publishing.deliveries_publish, list(ids))
