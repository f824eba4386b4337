"""The outbound HTTP of webhook deliveries: one asyncio event loop per process, in a daemon
thread, sending with a small HTTP/1.1 client (apps/webhooks/http11.py, which says why not httpx
any more) under two bounds — at most `WEBHOOKS_SENDER_CONCURRENCY`
requests in flight per process, and at most `WEBHOOKS_ENDPOINT_CONCURRENCY` per destination
(endpoint, or per-payment URL), so one slow endpoint can hold only that many slots while the
others keep flowing.

Why an async client in a thread, and not Celery's threads or gevent pool (issue 21, item 3),
measured with bench/webhooks_delivery.py on this 2-core machine kind (shared and loaded: wall
figures vary several-fold between runs, CPU per delivery much less):

- before, one prefork process blocked per delivery: 12-34 deliveries/s, ~19 ms of worker CPU
  per delivery (prefork -c 2);
- the same code under Celery's threads pool (-P threads -c 16): 24/s, ~12.5 ms per delivery —
  it overlaps the round trips but keeps every per-delivery cost (a broker message, a
  transaction holding a row lock and a PostgreSQL connection for each request in flight);
- gevent is not installed and would need psycopg's green support;
- this module plus the grouped claims and recordings of services/sending.py and dispatch.py:
  35/s with prefork -c 2 (~9.4 ms) and 68/s with two solo-pool processes (~4.6 ms) on the
  loaded machine; 102-164/s with prefork -c 2 (~7.1-7.5 ms) when it was quieter, where the code
  before measured 28/s (~15.6 ms).

- set-based fan-out (one transaction for the events gathered) and recording (one UPDATE … FROM
  VALUES per group), unparking only as many as have a free slot: 8.7-8.8 ms per delivery
  against 9.7-10.8 ms for the code before, interleaved runs on a machine at load 11-14 (2
  cores); 86/s and 6.1 ms at load 8. Split by thread (ms per delivery): dispatcher 1.9-3.3,
  sender (httpx) 1.8-2.8, recorder 0.6-1.5, prefork parent 1.0-1.8, task thread 0.4-1.0.

- coalesced wake-ups (services/publishing.py, dispatch.py) and apps/webhooks/http11.py instead
  of httpx.AsyncClient, backlog 1500 at load 9-10: 5.8 ms per delivery, 58/s (sender thread
  7.0 -> 0.54 ms per delivery; dispatcher 3.4, recorder 1.75); httpx measured 17.6 ms in all.

The cost left is per delivery CPU, not waiting: an async client overlaps any number of round
trips for a few hundred microseconds each, and the database work is done in groups.

Slots are taken when a delivery is claimed (`reserve`), before its request exists, so a task
never claims what this process could not send now; they are given back when the response (or
the error) is in. The loop and its clients are created lazily, in the process that sends
(after a prefork fork).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from django.conf import settings

from . import http11
from .ssrf import Destination

RESPONSE_EXCERPT_BYTES = 1024


@dataclass
class HttpResult:
    status: int | None
    body_excerpt: str
    latency_ms: int
    error: str = ""
    permanent: bool = False  # no point retrying (the URL is refused by the SSRF guard in live mode)


@dataclass
class OutboundRequest:
    url: str
    destination: Destination
    body: bytes
    headers: dict[str, str]
    slot_key: str
    timeout: float = 15.0


def _setting(name: str, default):
    return getattr(settings, name, default)


class Sender:
    """One per process (see `get`). Thread-safe: Celery tasks in any thread reserve and submit;
    the loop thread sends."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Condition()
        self._in_flight: dict[str, int] = {}
        self._in_flight_total = 0
        # Keep-alive connections, pooled by (scheme, address, port, TLS name): two names served by
        # one address never share a TLS connection made with the other's SNI.
        self._pool = http11.Pool()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=_run_loop, args=(self._loop,), name="webhooks-sender", daemon=True
        )
        self._thread.start()

    # --- slots ---------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return int(_setting("WEBHOOKS_SENDER_CONCURRENCY", 100))

    @property
    def per_key(self) -> int:
        return int(_setting("WEBHOOKS_ENDPOINT_CONCURRENCY", 10))

    def has_room(self, key: str) -> bool:
        return self.room(key) > 0

    def room(self, key: str) -> int:
        """How many more requests to `key` this process could send now."""
        with self._lock:
            return max(0, min(self.total - self._in_flight_total, self.per_key - self._in_flight.get(key, 0)))

    def wait_for_room(self, keys: set[str], *, until: float) -> bool:
        """Blocks until the process has a free slot and one of `keys` too (False if not by the
        monotonic time `until`): a sender stops taking work it could not send now."""
        total, per_key = self.total, self.per_key
        with self._lock:
            while self._in_flight_total >= total or all(self._in_flight.get(k, 0) >= per_key for k in keys):
                remaining = until - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def reserve(self, keys: list[str]) -> list[bool]:
        """Takes a slot for each key it can (in order); False where the process or that key's
        bound is full."""
        total, per_key = self.total, self.per_key
        with self._lock:
            granted = []
            for key in keys:
                ok = self._in_flight_total < total and self._in_flight.get(key, 0) < per_key
                if ok:
                    self._in_flight[key] = self._in_flight.get(key, 0) + 1
                    self._in_flight_total += 1
                granted.append(ok)
            return granted

    def release(self, key: str) -> None:
        with self._lock:
            left = self._in_flight.get(key, 0) - 1
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)
            self._in_flight_total = max(0, self._in_flight_total - 1)
            self._lock.notify_all()

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight_total

    # --- sending -------------------------------------------------------------------------------

    def submit(
        self, request: OutboundRequest, done: Callable[[OutboundRequest, HttpResult], None] | None = None
    ):
        """Sends `request` (its slot reserved by the caller, released here once the answer is in)
        and returns a concurrent Future of its HttpResult; `done` runs in the loop thread."""
        future: Future = asyncio.run_coroutine_threadsafe(self._send(request), self._loop)
        if done is not None:
            future.add_done_callback(lambda f: done(request, f.result()))
        return future

    async def _send(self, request: OutboundRequest) -> HttpResult:
        try:
            return await _post(self._pool, request)
        finally:
            self.release(request.slot_key)

    def close(self, timeout: float = 10.0) -> None:
        """Waits (bounded) for the requests in flight, then stops the loop (worker shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight_total and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())

        async def _close_all():
            with contextlib.suppress(Exception):
                await self._pool.aclose()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_close_all(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)


async def _post(pool: http11.Pool, request: OutboundRequest) -> HttpResult:
    destination = request.destination
    connect_to = tls_name = host_header = ""
    if destination.ip:
        # Pinned: connect to the checked address; the name goes in Host and in the TLS SNI,
        # and the certificate is verified against the name.
        connect_to, tls_name, host_header = destination.ip, destination.host, destination.host_header
    started = time.monotonic()
    try:
        # The whole exchange within the timeout, so the claim's lease always outlasts the send.
        async with asyncio.timeout(request.timeout):
            status, raw = await pool.post(
                request.url,
                body=request.body,
                headers=request.headers,
                connect_to=connect_to,
                tls_name=tls_name,
                host_header=host_header,
                connect_timeout=min(request.timeout, 5.0),
                excerpt_bytes=RESPONSE_EXCERPT_BYTES,
            )
        excerpt = raw[:RESPONSE_EXCERPT_BYTES].decode("utf-8", "replace")
        return HttpResult(status, excerpt, int((time.monotonic() - started) * 1000))
    except TimeoutError:
        return HttpResult(None, "", int((time.monotonic() - started) * 1000), error="timeout")
    except Exception as exc:  # any failure is an attempt's outcome, never a lost result
        return HttpResult(
            None, "", int((time.monotonic() - started) * 1000), error=f"{type(exc).__name__}: {exc}"[:500]
        )


def name_native_thread(name: str) -> None:
    """Gives the calling thread's OS thread `name` (Linux, first 15 characters), so `top -H`,
    py-spy and bench/webhooks_delivery.py's CPU split by thread see the dispatcher, the sender
    and the recorder apart. Best effort: nothing happens elsewhere."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    name_native_thread("webhooks-sender")
    loop.run_forever()


_holder: dict[str, Sender] = {}
_holder_lock = threading.Lock()


def get() -> Sender:
    """This process's sender (a new one after a fork: the parent's loop thread is not ours)."""
    with _holder_lock:
        sender = _holder.get("sender")
        if sender is None or sender.pid != os.getpid():
            sender = Sender()
            _holder["sender"] = sender
        return sender


def shutdown(timeout: float = 10.0) -> None:
    with _holder_lock:
        sender = _holder.pop("sender", None)
    if sender is not None and sender.pid == os.getpid():
        sender.close(timeout)


_mode = {"background": False}


def set_background(on: bool = True) -> None:
    """In a Celery worker process (apps.py connects the worker signals): sends are handed to the
    loop and recorded by a background thread, and the task returns at once. Elsewhere (eager
    tasks, tests, the test clock, the back office) a send waits for its answer and is recorded
    by the caller."""
    _mode["background"] = on


def background() -> bool:
    return _mode["background"]
