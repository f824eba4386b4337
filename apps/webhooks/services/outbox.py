"""Events: the transactional outbox every app writes to, its publishing, and its retention.

`event_record` writes the Event in the caller's transaction and, on commit, publishes the
fan-out task. If the broker is down the publish fails quietly (the request still succeeds) and
`events_outbox_sweep` picks the event up later.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.context import get_request_id
from apps.core.ids import generate_id

from ..models import Delivery, DeliveryAttempt, Event
from . import publishing

logger = logging.getLogger("clearhouse.webhooks")


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
        object_id=Event.object_id_of(data),
        previous_attributes=previous_attributes,
        request_id=get_request_id(),
    )
    _enqueue_on_commit(event.pk)
    return event


def events_record(*, merchant, livemode: bool, events: list[tuple[str, dict, dict | None]]) -> list[Event]:
    """Several outbox rows of one state change as one INSERT: `events` is [(type, data,
    previous_attributes)], in order. Same contract as `event_record`."""
    rows = events_build(merchant=merchant, livemode=livemode, events=events)
    Event.objects.bulk_create(rows)
    events_enqueue_on_commit(rows)
    return rows


def events_build(*, merchant, livemode: bool, events: list[tuple[str, dict, dict | None]]) -> list[Event]:
    """The rows `events_record` writes, unsaved, for a caller that inserts them with the other
    rows of its transaction (the intents' hot path, apps/core/sql.py); once inserted, it calls
    `events_enqueue_on_commit` with them (same contract as `events_record`)."""
    now = timezone.now()
    request_id = get_request_id()
    return [
        Event(
            public_id=generate_id(Event.ID_PREFIX),
            created_at=now,
            updated_at=now,
            merchant=merchant,
            livemode=livemode,
            type=type_,
            api_version=settings.API_VERSION,
            data={"object": data},
            object_id=Event.object_id_of(data),
            previous_attributes=previous,
            request_id=request_id,
        )
        for type_, data, previous in events
    ]


def events_enqueue_on_commit(rows: list[Event]) -> None:
    """Publishes the fan-out of inserted rows when the caller's transaction commits."""
    for row in rows:
        _enqueue_on_commit(row.pk)


@contextlib.contextmanager
def events_publish_deferred():
    """Events committed by the transactions run inside this block (outside any transaction) are
    published together when it exits, with one broker message (create+confirm commits twice
    within one request). The rows are committed as before; until fanned out they have
    `enqueued_at` null, which is what `events_outbox_sweep` re-drives after a crash."""
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


def _events_enqueue(event_pks: list[int]) -> None:
    """At most one broker message for the events of one committed transaction, none when a
    wake-up of the fan-out is already on its way (`publishing.events_wake`). No UPDATE here (issue 21:
    it was a round trip and a non-HOT row update inside every request): the fan-out marks
    `enqueued_at` and `fanned_out_at` together, and an event still unmarked after
    WEBHOOKS_OUTBOX_GRACE_SECONDS (publish lost, or still queued) is fanned out by the sweeper;
    a second fan-out of the same event is a no-op (it locks the row and checks `fanned_out_at`)."""
    if not event_pks:
        return
    publishing.events_wake(list(event_pks))


class _OutboxBatch:
    """The events written by one transaction, published together when it commits (one broker
    message instead of one per event).

    A batch belongs to the connection's list of on-commit callbacks (`run_on_commit`), which
    Django replaces at every commit, rollback and savepoint rollback: a later event after any of
    those starts a new batch with its own callback. An event written in a savepoint that was
    rolled back may stay in the batch of its transaction; publishing its id is harmless (the
    fan-out finds no row). Anything not published is re-driven by
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
        deferred = getattr(conn, "_clearhouse_outbox_deferred", None)
        if deferred is not None:  # inside events_publish_deferred: one message when it exits
            deferred.append(event_pk)
        else:
            _events_enqueue([event_pk])
        return
    batch = getattr(conn, "_clearhouse_outbox_batch", None)
    if batch is None or batch.flushed or batch.owner is not conn.run_on_commit:
        batch = _OutboxBatch(conn.run_on_commit)
        conn._clearhouse_outbox_batch = batch
    batch.pks.append(event_pk)
    if len(batch.pks) == 1:
        transaction.on_commit(batch.flush, robust=True)


def events_purge(*, older_than_days: int | None = None, batch: int = 1000) -> int:
    """Retention: events (with their deliveries and attempts) older than 30 days go."""
    days = (
        older_than_days
        if older_than_days is not None
        else publishing.setting("WEBHOOKS_EVENT_RETENTION_DAYS", 30)
    )
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
