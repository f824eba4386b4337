"""The worker process's dispatcher (issue 21, item 3): fan-out tasks hand their events over and
return; one thread per process fans them out and claims their deliveries in groups, parking those
whose destination has no free slot. Outside a worker nothing here runs in the background: the
fan-out runs in place and the send tasks are published (services/sending.py waits and records).
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

    def __init__(self) -> None:
        self.queue: queue.Queue[int] = queue.Queue()
        self.events: queue.Queue[int] = queue.Queue()
        self.parked: dict[int, tuple[str, float]] = {}
        self.thread = threading.Thread(target=self._run, name="webhooks-dispatcher", daemon=True)
        self.thread.start()

    def put(self, ids: list[int]) -> None:
        for pk in ids:
            self.queue.put(pk)

    def put_events(self, event_ids: list[int]) -> None:
        for pk in event_ids:
            self.events.put(pk)
        self.queue.put(0)  # wakes the gathering; 0 is no delivery's id

    def _fan_out_events(self) -> None:
        """Fans out the events handed over, in batches of one transaction each (set-based:
        services/delivery.py); their deliveries come back through `put` (deliveries_dispatch
        after each commit). A batch that fails is retried event by event, so one bad event
        does not hold back the others; what still fails is the outbox sweeper's."""
        from .delivery import FAN_OUT_CHUNK, events_fan_out

        while True:
            batch: list[int] = []
            with contextlib.suppress(queue.Empty):
                while len(batch) < FAN_OUT_CHUNK:
                    batch.append(self.events.get_nowait())
            if not batch:
                return
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

    def _gather(self) -> list[int]:
        group: list[int] = []
        with contextlib.suppress(queue.Empty):
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
                group = [pk for pk in group if pk]
                while True:  # what the fan-outs just dispatched
                    try:
                        group.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                group = [pk for pk in group if pk]
                out = sender.get()
                group += self._unpark(out)
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


def deliveries_dispatch(delivery_ids: list[int]) -> None:
    """After a fan-out commits: in a worker, send from this process (no second broker hop),
    gathered with the other fan-outs' deliveries; elsewhere publish the send tasks."""
    if sender.background():
        _dispatcher().put(delivery_ids)
        return
    publishing.deliveries_publish(delivery_ids)


def senders_shutdown(timeout: float = 10.0) -> None:
    """Worker shutdown: lets the requests in flight finish and their outcomes be recorded."""
    sender.shutdown(timeout)
    with _recorders_lock:
        rec = _recorders.pop(os.getpid(), None)
    if rec is not None:
        rec.stop(timeout)
