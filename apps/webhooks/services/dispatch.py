"""The worker process's dispatcher (issue 21, item 3): wake-up tasks hand their events over and
return; one thread per process fans them out — the events a wake-up names, then, for a coalesced
wake-up, every event committed and not yet fanned out, pulled from the database a batch at a
time (`events_fan_out_pending`) while the process has room for more — and claims their
deliveries in groups, parking those whose destination has no free slot (without a claim: the
fan-out tells which destination each goes to). Outside a worker nothing here runs in the
background: the fan-out runs in place and the send tasks are published (services/sending.py
waits and records).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time

from django.db import close_old_connections, connection

from .. import sender
from ..models import Delivery
from . import publishing
from .sending import _recorders, _recorders_lock, _send_round

logger = logging.getLogger("clearhouse.webhooks")


class _Dispatcher:
    """One thread per worker process, with its own database connection, that claims and sends
    the deliveries the process's fan-outs wrote, gathered for up to WINDOW seconds: one claim,
    one load and one recording group for many deliveries instead of one each (a claim of one
    delivery costs ~10 ms of CPU on this machine kind, ~1.2 ms per delivery in groups of 50).
    Ids whose destination has no free slot are parked here and claimed when one frees, without
    holding up the others; parked longer than PARK_SECONDS they are left to the sweeper. Ids
    handed over are committed and due: if the process dies before they are claimed, the sweeper
    publishes them (their `enqueued_at` goes stale)."""

    WINDOW = 0.02  # gathering adds at most this to the lag
    GROUP = 200
    PARK_SECONDS = 30.0
    # A drain pulls another batch of events only while fewer deliveries than this wait for a
    # slot here, and at most this many events at a time; the rest stay in the database for the
    # other worker processes to pull (a deeper local backlog only ages here: parked past
    # PARK_SECONDS, a delivery goes back to the sweeper).
    DRAIN_BACKLOG = 100

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[int, str | None]] = queue.Queue()
        self.events: queue.Queue[int] = queue.Queue()
        self.parked: dict[int, tuple[str | None, float]] = {}
        self.draining = threading.Event()
        self.thread = threading.Thread(target=self._run, name="webhooks-dispatcher", daemon=True)
        self.thread.start()

    def put(self, ids: list[int], keys: list[str] | None = None) -> None:
        """Deliveries to send, with their destinations' slot keys when known."""
        for pk, key in zip(ids, keys or [None] * len(ids), strict=True):
            self.queue.put((pk, key))

    def put_events(self, event_ids: list[int], *, drain: bool = False) -> None:
        for pk in event_ids:
            self.events.put(pk)
        if drain:
            self.draining.set()
        self.queue.put((0, None))  # wakes the gathering; 0 is no delivery's id

    def _fan_out_events(self) -> None:
        """Fans out the events handed over, in batches of one transaction each (set-based:
        services/delivery.py); their deliveries come back through `put` (deliveries_dispatch
        after each commit). A batch that fails is retried event by event, so one bad event
        does not hold back the others; what still fails is the outbox sweeper's."""
        from .delivery import FAN_OUT_CHUNK, events_fan_out, events_fan_out_pending

        while True:
            batch: list[int] = []
            with contextlib.suppress(queue.Empty):
                while len(batch) < FAN_OUT_CHUNK:
                    batch.append(self.events.get_nowait())
            if not batch:
                break
            try:
                events_fan_out(event_ids=batch)
                continue
            except Exception:
                logger.exception("fan-out of %d events failed; retrying them one by one", len(batch))
                connection.close()
            for pk in batch:
                try:
                    events_fan_out(event_ids=[pk])
                except Exception:  # not fanned out: the outbox sweeper does it after the grace
                    logger.exception("fan-out of event %s failed", pk)
                    connection.close()
        if self.draining.is_set() and len(self.parked) < self.DRAIN_BACKLOG:
            self.draining.clear()  # before the pull: a wake-up arriving during it sets it again
            try:
                taken, _ids = events_fan_out_pending(limit=self.DRAIN_BACKLOG)
            except Exception:  # not fanned out: the next wake-up's or the outbox sweeper's
                logger.exception("pulling events to fan out failed")
                connection.close()
                return
            if taken >= self.DRAIN_BACKLOG:
                self.draining.set()  # more may be waiting

    def _gather(self) -> list[tuple[int, str | None]]:
        group: list[tuple[int, str | None]] = []
        with contextlib.suppress(queue.Empty):
            if self.draining.is_set():
                group.append(self.queue.get_nowait())
            else:
                group.append(self.queue.get(timeout=0.01 if self.parked else None))
        deadline = time.monotonic() + self.WINDOW
        while group and len(group) < self.GROUP:
            remaining = deadline - time.monotonic()
            try:
                group.append(self.queue.get(timeout=remaining) if remaining > 0 else self.queue.get_nowait())
            except queue.Empty:
                break
        return group

    def _unpark(self, out: sender.Sender) -> list[int]:
        if not self.parked:
            return []
        now = time.monotonic()
        expired = [pk for pk, (_key, since) in self.parked.items() if now - since > self.PARK_SECONDS]
        if expired:
            Delivery.objects.filter(pk__in=expired).update(enqueued_at=None)  # the next sweep's
            for pk in expired:
                del self.parked[pk]
        # Only as many per destination as it has free slots: a claim of the others would find
        # no slot for them and park them again (a claim round costs per row it locks).
        room: dict[str, int] = {}
        ready = []
        for pk, (key, _since) in self.parked.items():
            if key is None:  # destination unknown: the claim finds out
                ready.append(pk)
                continue
            if key not in room:
                room[key] = out.room(key)
            if room[key] > 0:
                room[key] -= 1
                ready.append(pk)
        for pk in ready:
            del self.parked[pk]
        return ready

    def _run(self) -> None:
        sender.name_native_thread("webhooks-dispatch")
        while True:
            group = self._gather()
            try:
                close_old_connections()
                self._fan_out_events()
                while True:  # what the fan-outs just dispatched
                    try:
                        group.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                # Everything waits here first and leaves as its destination has room: no claim
                # (a lock per row) for what could not be sent now.
                since = time.monotonic()
                for pk, key in group:
                    if pk:
                        self.parked.setdefault(pk, (key, since))
                out = sender.get()
                group = self._unpark(out)
                if not group:
                    continue
                _done, deferred = _send_round(group, now=None, wait=False, out=out)
                since = time.monotonic()
                for pk, key in deferred.items():
                    self.parked.setdefault(pk, (key, since))
            except Exception:  # committed and due: the sweeper publishes them
                logger.exception("sending %d deliveries in place failed", len(group))
                connection.close()


_dispatchers: dict[int, _Dispatcher] = {}


def _dispatcher() -> _Dispatcher:
    with _recorders_lock:
        dispatcher = _dispatchers.get(os.getpid())
        if dispatcher is None:
            dispatcher = _dispatchers[os.getpid()] = _Dispatcher()
        return dispatcher


def events_wake_dispatch(event_ids: list[int], *, wake_key: str = "") -> int:
    """A wake-up task's work. Its flag is cleared first (so a commit from now on publishes a new
    wake-up, and every commit that found the flag set is visible to the pull that follows). In
    a worker the dispatcher fans out: the events named when the wake-up is not coalesced, else
    every event waiting (`events_fan_out_pending`, as the process has room); elsewhere in
    place. Returns how many events were named."""
    publishing.wake_clear(wake_key)
    if sender.background():
        _dispatcher().put_events([] if wake_key else event_ids, drain=bool(wake_key))
        return len(event_ids)
    from .delivery import FAN_OUT_CHUNK, events_fan_out, events_fan_out_pending

    events_fan_out(event_ids=list(event_ids))
    while wake_key and events_fan_out_pending(limit=FAN_OUT_CHUNK)[0] >= FAN_OUT_CHUNK:
        pass
    return len(event_ids)


def events_fan_out_dispatch(event_ids: list[int]) -> int:
    """A fan-out task's work: in a worker, handed to the process's dispatcher, which fans out
    the events gathered from many tasks and sends their deliveries in groups (the task returns
    at once; an event not fanned out when the process dies is fanned out by the outbox sweeper,
    its `fanned_out_at` being null); elsewhere fanned out here. Returns how many events."""
    if sender.background():
        _dispatcher().put_events(event_ids)
        return len(event_ids)
    from .delivery import events_fan_out

    return len(events_fan_out(event_ids=list(event_ids)))


def deliveries_dispatch(delivery_ids: list[int], keys: list[str] | None = None) -> None:
    """After a fan-out commits: in a worker, send from this process (no second broker hop),
    gathered with the other fan-outs' deliveries; elsewhere publish the send tasks. `keys` are
    their destinations' slot keys (services/sending.py `slot_key`)."""
    if sender.background():
        _dispatcher().put(delivery_ids, keys)
        return
    publishing.deliveries_publish(delivery_ids)


def senders_shutdown(timeout: float = 10.0) -> None:
    """Worker shutdown: lets the requests in flight finish and their outcomes be recorded."""
    sender.shutdown(timeout)
    with _recorders_lock:
        rec = _recorders.pop(os.getpid(), None)
    if rec is not None:
        rec.stop(timeout)
