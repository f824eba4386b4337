"""Sending deliveries: claim with a lease, sign, send concurrently, record — issue 21, item 3.

1. **Claim** (`_claim`, one short transaction): the due rows among the given ids are locked with
   `SELECT … FOR UPDATE SKIP LOCKED`, filtered on `lease_until` (null or past), and stamped with
   a lease `lease_until = now + timeout + WEBHOOKS_LEASE_MARGIN_SECONDS`, then committed. A
   delivery has at most one live claim: another worker's claim skips the locked row or sees the
   lease. Only as many as this process has free slots for (per process and per destination,
   `apps.webhooks.sender`) are claimed; the rest get `enqueued_at` cleared so the next sweep
   publishes them again.
2. **Send**: the requests (signed, the destination resolved, checked and pinned by the SSRF
   guard) go to this process's async sender, which runs them concurrently under its bounds.
   No transaction and no row lock is held during the HTTP exchange.
3. **Record** (`_record`, one transaction per group of results): the attempt rows in one INSERT,
   the delivery rows in one UPDATE, only for rows whose lease is still ours (a re-drive or an
   expired lease re-claimed elsewhere wins); failures schedule the retry (`apps.webhooks.retry`),
   a 410 disables the endpoint, three days of failures too. The lease is cleared.

In a worker (`sender.background()`), step 3 runs in a background recorder thread of the process
and the task returns after step 2: a task slot is never held for a round trip. Elsewhere the
caller waits and records. A process killed anywhere after the claim leaves rows with a lease and
no outcome: once the lease expires the sweeper publishes them again (at-least-once, same event
id); a broker outage is covered the same way (rows stay due, the sweeper publishes them).

Why this shape and the figures that chose it: apps/webhooks/sender.py.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from .. import retry, sender, sql
from ..errors import WebhookUrlRefused
from ..models import Delivery, DeliveryAttempt, WebhookEndpoint
from ..payloads import event_payload
from ..selectors import default_signing_endpoint
from ..signing import signature_headers
from ..ssrf import Destination, resolve_destination
from . import publishing
from .endpoints import endpoint_secrets, webhook_endpoint_auto_disable

logger = logging.getLogger("clearhouse.webhooks")

REQUEST_EXCERPT_CHARS = 4096
FAILING_DISABLE_AFTER = timedelta(days=3)
ROOM_WAIT_SECONDS = 2.0  # how long a task waits for a free slot before leaving work to the sweeper


@dataclass
class _Job:
    delivery: Delivery
    url: str
    body: bytes
    headers: dict
    lease: datetime
    attempted_at: datetime | None = None
    result: sender.HttpResult | None = None
    request: sender.OutboundRequest | None = None


def slot_key(endpoint_id: int | None, url: str) -> str:
    """The per-destination bound's key: the endpoint, or the per-payment URL's host."""
    if endpoint_id is not None:
        return f"we:{endpoint_id}"
    return f"url:{urlsplit(url).hostname}"


def _timeout() -> float:
    return float(publishing.setting("WEBHOOKS_DELIVERY_TIMEOUT_SECONDS", 15))


def _lease_seconds() -> float:
    return _timeout() + float(publishing.setting("WEBHOOKS_LEASE_MARGIN_SECONDS", 15))


# --- 1. claim -----------------------------------------------------------------------------------


def _claim(
    delivery_ids: list[int], *, now, out: sender.Sender
) -> tuple[dict[int, str], datetime, dict[int, str]]:
    """The claimed ids, each with its slot key (its slot reserved), their lease, and the due
    ones left unclaimed for want of a slot (with their keys)."""
    lease = now + timedelta(seconds=_lease_seconds())
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=delivery_ids, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .order_by("pk")
            .values_list("pk", "endpoint_id", "url")
        )
        if not rows:
            return {}, lease, {}
        keys = [slot_key(e, u) for _pk, e, u in rows]
        granted = out.reserve(keys)
        mine = {row[0]: key for row, key, ok in zip(rows, keys, granted, strict=True) if ok}
        deferred = {row[0]: key for row, key, ok in zip(rows, keys, granted, strict=True) if not ok}
        try:
            if mine:
                Delivery.objects.filter(pk__in=list(mine)).update(lease_until=lease)
        except Exception:
            for key in mine.values():
                out.release(key)
            raise
    return mine, lease, deferred


# --- 2. prepare and send ------------------------------------------------------------------------


def _prepare(claimed: list[int], *, lease) -> tuple[list[_Job], list[tuple[Delivery, str]]]:
    """The signed requests of the claimed rows, and the rows to fail without a request."""
    rows = list(Delivery.objects.select_related("event", "endpoint").filter(pk__in=claimed).order_by("pk"))
    pending = dict(
        Delivery.objects.filter(event_id__in={d.event_id for d in rows}, status=Delivery.Status.PENDING)
        .values("event_id")
        .annotate(n=Count("id"))
        .values_list("event_id", "n")
    )
    signers: dict[tuple, WebhookEndpoint | None] = {}
    secrets_: dict[int, list[str]] = {}
    jobs, finished = [], []
    for delivery in rows:
        endpoint = delivery.endpoint
        if endpoint is not None and (
            endpoint.status != WebhookEndpoint.Status.ENABLED or endpoint.deleted_at
        ):
            finished.append((delivery, "endpoint_disabled"))
            continue
        signer = endpoint
        if signer is None:
            key = (delivery.merchant_id, delivery.livemode)
            if key not in signers:
                signers[key] = default_signing_endpoint(merchant_id=key[0], livemode=key[1])
            signer = signers[key]
        if signer is None:
            finished.append((delivery, "no_signing_secret"))
            continue
        if signer.pk not in secrets_:
            secrets_[signer.pk] = endpoint_secrets(signer)
        payload = event_payload(delivery.event, pending_webhooks=pending.get(delivery.event_id, 0))
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Clearhouse-Webhooks/1.0",
            **signature_headers(
                secrets_=secrets_[signer.pk],
                msg_id=delivery.event.public_id,
                timestamp=int(time.time()),
                body=body,
            ),
        }
        url = endpoint.url if endpoint is not None else delivery.url
        jobs.append(_Job(delivery=delivery, url=url, body=body, headers=headers, lease=lease))
    return jobs, finished


def _start(jobs: list[_Job], *, out: sender.Sender, done=None) -> list:
    """Resolves, checks and pins each destination (once per host and mode), then submits.
    Returns the futures of the submitted ones; refused ones get their result at once."""
    resolved: dict[tuple, Destination | WebhookUrlRefused] = {}
    futures = []
    for job in jobs:
        d = job.delivery
        parts = urlsplit(job.url)
        key = (parts.scheme, parts.netloc, d.livemode)
        if key not in resolved:
            try:
                resolved[key] = resolve_destination(job.url, livemode=d.livemode)
            except WebhookUrlRefused as exc:
                resolved[key] = exc
        destination = resolved[key]
        job.attempted_at = timezone.now()
        slot = slot_key(d.endpoint_id, d.url)
        if isinstance(destination, WebhookUrlRefused):
            out.release(slot)
            job.result = sender.HttpResult(
                None, "", 0, error=f"{destination.code}: {destination}", permanent=d.livemode
            )
            if done is not None:
                done(job)
            continue
        job.request = sender.OutboundRequest(
            url=job.url, destination=destination, body=job.body, headers=job.headers, slot_key=slot,
            timeout=_timeout(),
        )  # fmt: skip
        futures.append((job, out.submit(job.request)))
    return futures


# --- 3. record ----------------------------------------------------------------------------------


def _finish(delivery: Delivery, *, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.last_error = error[:500]
    delivery.next_attempt_at = None
    delivery.enqueued_at = None
    delivery.lease_until = None
    delivery.save(
        update_fields=["status", "last_error", "next_attempt_at", "enqueued_at", "lease_until", "updated_at"]
    )


def _record(jobs: list[_Job], *, now=None) -> dict[int, str]:
    """Records a group of finished sends in one transaction; returns each delivery's outcome
    (`skipped` where the lease is no longer ours). The delivery rows go in one UPDATE guarded by
    each row's lease, so it is also the ownership check (apps/webhooks/sql.py; one UPDATE per
    row on other databases); the attempts of the rows updated go in one INSERT."""
    now_ = now or timezone.now()
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        staged = []
        for job in jobs:
            d = job.delivery
            attempt = _attempt_row(job)
            outcome = _apply(job, now=now_)
            d.updated_at = timezone.now()
            staged.append((job, attempt, outcome))
        owned = _update_owned([job for job, _a, _o in staged])
        attempts = []
        for index, (job, attempt, outcome) in enumerate(staged):
            d = job.delivery
            if index not in owned:
                logger.info("delivery %s: lease lost while sending, outcome not recorded", d.public_id)
                outcomes[d.pk] = "skipped"
                continue
            _apply_side_effects(job, outcome=outcome, now=now_)
            attempts.append(attempt)
            outcomes[d.pk] = outcome
        DeliveryAttempt.objects.bulk_create(attempts)
    return outcomes


def _update_owned(jobs: list[_Job]) -> set[int]:
    """Writes the recorded fields of each job's delivery where its lease is still ours; returns
    the indexes in `jobs` of those written."""
    if sql.set_based_enabled():
        return sql.deliveries_update_owned(
            [
                (job.delivery.pk, job.lease, {f: getattr(job.delivery, f) for f in _RECORDED_FIELDS})
                for job in jobs
            ],
            fields=_RECORDED_FIELDS,
        )
    owned = set()
    for index, job in enumerate(jobs):
        d = job.delivery
        if Delivery.objects.filter(pk=d.pk, lease_until=job.lease).update(
            **{field: getattr(d, field) for field in _RECORDED_FIELDS}
        ):
            owned.add(index)
    return owned


_RECORDED_FIELDS = [
    "status", "attempt_count", "schedule_attempt", "next_attempt_at", "enqueued_at", "lease_until",
    "last_attempt_at", "last_response_status", "last_error", "succeeded_at", "updated_at",
]  # fmt: skip


def _attempt_row(job: _Job) -> DeliveryAttempt:
    d, result = job.delivery, job.result
    ok = result.status is not None and 200 <= result.status < 300
    return DeliveryAttempt(
        delivery=d,
        number=d.attempt_count + 1,
        attempted_at=job.attempted_at,
        url=job.url,
        outcome=DeliveryAttempt.Outcome.SUCCEEDED if ok else DeliveryAttempt.Outcome.FAILED,
        response_status=result.status,
        latency_ms=result.latency_ms,
        error=result.error[:500],
        request_headers={k: v for k, v in job.headers.items() if k.lower() != "content-type"},
        request_body_excerpt=job.body[:REQUEST_EXCERPT_CHARS].decode("utf-8", "replace"),
        response_body_excerpt=result.body_excerpt,
    )


def _apply(job: _Job, *, now) -> str:
    """Moves the delivery on: succeeded, retried later, or failed."""
    d, result = job.delivery, job.result
    d.attempt_count += 1
    d.schedule_attempt += 1
    d.last_attempt_at = job.attempted_at
    d.last_response_status = result.status
    d.enqueued_at = None
    d.lease_until = None
    if result.status is not None and 200 <= result.status < 300:
        d.status = Delivery.Status.SUCCEEDED
        d.succeeded_at = now
        d.next_attempt_at = None
        d.last_error = ""
        return "succeeded"
    return _attempt_failed(d, result=result, now=now)


def _attempt_failed(delivery: Delivery, *, result: sender.HttpResult, now) -> str:
    """Schedules the next attempt, or gives up."""
    endpoint = delivery.endpoint
    delivery.last_error = (result.error or f"HTTP {result.status}")[:500]
    next_at = None
    if not result.permanent and not (result.status == 410 and endpoint is not None):
        next_at = retry.next_attempt_at(
            attempts_made=delivery.schedule_attempt, now=now, schedule_started_at=delivery.schedule_started_at
        )
    delivery.next_attempt_at = next_at
    delivery.status = Delivery.Status.PENDING if next_at else Delivery.Status.FAILED
    return "retrying" if next_at else "failed"


def _apply_side_effects(job: _Job, *, outcome: str, now) -> None:
    """The endpoint's health after a recorded attempt: a success ends its failing streak; a 410
    Gone disables it, and so do FAILING_DISABLE_AFTER of failures."""
    endpoint, result, attempted_at = job.delivery.endpoint, job.result, job.attempted_at
    if endpoint is None:
        return
    if outcome == "succeeded":
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return
    if result.status == 410:
        webhook_endpoint_auto_disable(endpoint_id=endpoint.pk, reason=WebhookEndpoint.DisabledReason.GONE)
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=attempted_at
    )
    since = endpoint.failing_since or attempted_at
    if now - since >= FAILING_DISABLE_AFTER:
        webhook_endpoint_auto_disable(endpoint_id=endpoint.pk, reason=WebhookEndpoint.DisabledReason.FAILING)


# --- the background recorder (worker processes) -------------------------------------------------


class _Recorder:
    """One thread per worker process, with its own database connection: records finished sends
    in groups (one transaction each). A group that fails to record is dropped and logged; its
    rows keep their lease and are sent again once it expires (at-least-once)."""

    GROUP = 200

    def __init__(self) -> None:
        self.queue: queue.Queue[_Job | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="webhooks-recorder", daemon=True)
        self.thread.start()

    def put(self, job: _Job) -> None:
        self.queue.put(job)

    def _run(self) -> None:
        sender.name_native_thread("webhooks-record")
        while True:
            job = self.queue.get()
            if job is None:
                return
            group = [job]
            while len(group) < self.GROUP:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.queue.put(None)
                    break
                group.append(more)
            try:
                close_old_connections()
                _record(group)
            except Exception:
                logger.exception("recording %d webhook attempts failed; their leases will expire", len(group))
                connection.close()

    def stop(self, timeout: float) -> None:
        self.queue.put(None)
        self.thread.join(timeout)


_recorders: dict[int, _Recorder] = {}
_recorders_lock = threading.Lock()


def _recorder() -> _Recorder:
    import os

    with _recorders_lock:
        rec = _recorders.get(os.getpid())
        if rec is None:
            rec = _recorders[os.getpid()] = _Recorder()
        return rec


# --- entry points -------------------------------------------------------------------------------


def _send_round(
    delivery_ids: list[int], *, now, wait: bool, out: sender.Sender
) -> tuple[dict[int, str], dict[int, str]]:
    """One claim and its sends: the outcomes, and the due ids left for want of a slot."""
    now_ = now or timezone.now()
    claimed, lease, deferred = _claim(delivery_ids, now=now_, out=out)
    if not claimed:
        return {}, deferred
    try:
        jobs, finished = _prepare(list(claimed), lease=lease)
    except Exception:
        for key in claimed.values():  # nothing was submitted: give the slots back (the lease expires)
            out.release(key)
        raise
    outcomes: dict[int, str] = {}
    if finished:
        with transaction.atomic():
            for delivery, error in finished:
                out.release(slot_key(delivery.endpoint_id, delivery.url))
                _finish(delivery, status=Delivery.Status.FAILED, error=error)
                outcomes[delivery.pk] = "failed"
    if wait:
        ready: list[_Job] = []
        futures = _start(jobs, out=out, done=ready.append)
        for job, future in futures:
            job.result = future.result()
            ready.append(job)
        if ready:
            outcomes.update(_record(ready, now=now))
        return outcomes, deferred
    recorder = _recorder()
    for job, future in _start(jobs, out=out, done=recorder.put):
        future.add_done_callback(lambda f, job=job: (setattr(job, "result", f.result()), recorder.put(job)))
    outcomes.update({job.delivery.pk: "sending" for job in jobs})
    return outcomes, deferred


def deliveries_send(*, delivery_ids: list[int], now=None, wait: bool | None = None) -> dict[int, str]:
    """Claims, signs and sends the due deliveries among `delivery_ids` concurrently, in rounds as
    slots free up. With `wait` (the default outside workers) returns each claimed one's outcome
    (succeeded | retrying | failed | skipped); without, hands the recording to the process's
    recorder and returns the claimed ids as "sending". Ids still without a slot after
    ROOM_WAIT_SECONDS are left to the next sweep. ``now`` is a test clock's time
    (apps.core.clock): the claim and the retry schedule run on it; the signature's timestamp
    stays the wall clock's."""
    if wait is None:
        wait = not sender.background()
    out = sender.get()
    deadline = time.monotonic() + ROOM_WAIT_SECONDS
    outcomes: dict[int, str] = {}
    remaining = list(delivery_ids)
    while remaining:
        done, deferred = _send_round(remaining, now=now, wait=wait, out=out)
        outcomes.update(done)
        remaining = list(deferred)
        if remaining and not out.wait_for_room(set(deferred.values()), until=deadline):
            Delivery.objects.filter(pk__in=remaining).update(enqueued_at=None)  # the next sweep's
            break
    return outcomes


def delivery_send(*, delivery_id: int, now=None) -> str:
    """One delivery, waiting for its outcome: skipped | succeeded | retrying | failed."""
    return deliveries_send(delivery_ids=[delivery_id], now=now, wait=True).get(delivery_id, "skipped")
