"""Bulk jobs: an upload of payment intents or refunds run row by row through the normal services.

Exactly once per row, whatever happens to the worker:
- one runner per job at a time (a PostgreSQL session advisory lock, released when the runner's
  connection ends, so a killed worker never keeps the job locked);
- each row's object carries the row's idempotency key `<job id>:<row number>` in its metadata
  (`bulk_job_row`), written in the same transaction that creates the object; a row found
  `running` after a crash is first looked up by that key, and only created when nothing has it;
- the row's result and the job's counters are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.approvals.services import approval_request_create
from apps.audit.services import Actor, audit_record
from apps.core.errors import ApplicationError
from apps.core.throttling import ApiKeyRateThrottle
from apps.intents.models import PaymentIntent
from apps.intents.services import payment_intent_create
from apps.refunds.models import Refund
from apps.refunds.services import refund_create

from ..bulk_rows import row_validate, rows_from_upload
from ..errors import BulkJobNotAwaitingApproval, BulkJobNotCancelable, BulkJobNotDraft
from ..models import BulkJob, BulkJobRow
from ..tasks import bulk_job_run_task

logger = logging.getLogger("clearhouse.devtools")

MARKER = "bulk_job_row"
_LOCK_NAMESPACE = zlib.crc32(b"clearhouse.bulk_job") & 0x7FFFFFFF
STALE_AFTER = dt.timedelta(minutes=2)
RATE_WAIT_MAX_SECONDS = 120


def _actor(job: BulkJob) -> Actor:
    return Actor(type=job.actor_type, id=job.actor_id, label=job.actor_label)


# --- create -----------------------------------------------------------------------------------


def bulk_job_create(
    *, merchant, livemode: bool, kind: str, actor: Actor, data=None, upload=None, api_key_public_id: str = "",
    start: bool = True,
) -> BulkJob:  # fmt: skip
    """Reads and checks every row, stores the job and its rows, and starts it — or parks it for a
    checker when its total in some currency is above BULK_JOB_APPROVAL_THRESHOLD. With
    ``start=False`` (the back office's upload) it stays a draft until `bulk_job_start`."""
    source_format, raw_rows = rows_from_upload(data=data, upload=upload)
    rows: list[BulkJobRow] = []
    for number, raw in enumerate(raw_rows, start=1):
        clean, error = row_validate(kind, raw)
        if error is None:
            rows.append(BulkJobRow(number=number, params=clean))
        else:
            rows.append(
                BulkJobRow(
                    number=number, params=raw if isinstance(raw, dict) else {}, status=BulkJobRow.Status.INVALID,
                    error_code=error["code"][:64], error_param=(error["param"] or "")[:64],
                    error_message=error["message"][:500], finished_at=timezone.now(),
                )
            )  # fmt: skip
    invalid = sum(1 for row in rows if row.status == BulkJobRow.Status.INVALID)
    totals = _totals(merchant, livemode, kind, rows)
    with transaction.atomic():
        job = BulkJob.objects.create(
            merchant=merchant, livemode=livemode, kind=kind, source_format=source_format,
            status=BulkJob.Status.DRAFT,
            total_rows=len(rows), processed_rows=invalid, failed_rows=invalid, totals=totals,
            actor_type=actor.type, actor_id=actor.id, actor_label=actor.label,
            api_key_public_id=api_key_public_id,
        )  # fmt: skip
        for row in rows:
            row.job = job
        BulkJobRow.objects.bulk_create(rows, batch_size=1000)
        audit_record(
            actor=actor, action="bulk_job.created", merchant=merchant, obj=job,
            after={"kind": kind, "rows": len(rows), "invalid": invalid, "totals": totals},
        )  # fmt: skip
        if start:
            _queue_or_park(job, actor)
    return job


def bulk_job_start(*, job_id: str, actor: Actor, reason: str = "") -> BulkJob:
    """Starts a draft: queued, or waiting for a checker above the threshold."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(public_id=job_id)
        if job.status != BulkJob.Status.DRAFT:
            raise BulkJobNotDraft(job_status=job.status)
        _queue_or_park(job, actor, reason=reason)
    return job


def _queue_or_park(job: BulkJob, actor: Actor, reason: str = "") -> None:
    """In the caller's transaction, the job locked or just created."""
    threshold = settings.BULK_JOB_APPROVAL_THRESHOLD
    over = {c: a for c, a in job.totals.items() if a > threshold}
    if over:
        currency, amount = max(over.items(), key=lambda item: item[1])
        job.status = BulkJob.Status.REQUIRES_APPROVAL
        job.save(update_fields=["status", "updated_at"])
        approval_request_create(
            kind="bulk_job", merchant=job.merchant, livemode=job.livemode, target_type="bulk_job",
            target_id=job.public_id, amount=amount, currency=currency, requested_by=actor,
            reason=f"Bulk {job.kind} job of {job.total_rows} rows totalling {amount} {currency} (minor units)",
        )  # fmt: skip
        return
    job.status = BulkJob.Status.QUEUED
    job.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="bulk_job.started", merchant=job.merchant, obj=job, reason=reason)
    _enqueue(job)


def _totals(merchant, livemode: bool, kind: str, rows: list[BulkJobRow]) -> dict[str, int]:
    """Minor units per currency. A refund row without an amount refunds what its payment
    received, read with one query for the whole upload."""
    totals: dict[str, int] = {}
    valid = [row.params for row in rows if row.status != BulkJobRow.Status.INVALID]
    if kind == BulkJob.Kind.PAYMENT_INTENTS:
        for params in valid:
            totals[params["currency"]] = totals.get(params["currency"], 0) + params["amount"]
        return totals
    ids = {p["payment_intent"] for p in valid if p.get("payment_intent")}
    intents = {
        row["public_id"]: row
        for row in PaymentIntent.objects.filter(
            merchant=merchant, livemode=livemode, public_id__in=ids
        ).values("public_id", "currency", "amount_received")
    }
    for params in valid:
        intent = intents.get(params.get("payment_intent") or "")
        if intent is None:
            continue  # a charge id or an unknown intent: the row decides, the total cannot
        amount = params.get("amount") or intent["amount_received"]
        totals[intent["currency"]] = totals.get(intent["currency"], 0) + amount
    return totals


def _enqueue(job: BulkJob) -> None:
    transaction.on_commit(lambda: bulk_job_run_task.delay(job.pk))


# --- checker ----------------------------------------------------------------------------------


def bulk_job_approve(*, job_id: str, actor: Actor) -> BulkJob:
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(public_id=job_id)
        if job.status != BulkJob.Status.REQUIRES_APPROVAL:
            raise BulkJobNotAwaitingApproval(job_status=job.status)
        job.status = BulkJob.Status.QUEUED
        job.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="bulk_job.approved", merchant=job.merchant, obj=job)
        _enqueue(job)
    return job


def bulk_job_reject(*, job_id: str, actor: Actor, reason: str = "") -> BulkJob:
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(public_id=job_id)
        if job.status != BulkJob.Status.REQUIRES_APPROVAL:
            raise BulkJobNotAwaitingApproval(job_status=job.status)
        _cancel_rest(job)
        audit_record(actor=actor, action="bulk_job.rejected", merchant=job.merchant, obj=job, reason=reason)
    return job


# --- cancel -----------------------------------------------------------------------------------


def bulk_job_cancel(*, job: BulkJob, actor: Actor) -> BulkJob:
    """A queued (or waiting) job is canceled at once; a running one stops before its next row —
    the rows already run stay, and the job's counts say exactly how many."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job.pk)
        if job.is_finished:
            raise BulkJobNotCancelable(job_status=job.status)
        job.cancel_requested_at = job.cancel_requested_at or timezone.now()
        job.save(update_fields=["cancel_requested_at", "updated_at"])
        if job.status in (BulkJob.Status.DRAFT, BulkJob.Status.QUEUED, BulkJob.Status.REQUIRES_APPROVAL):
            _cancel_rest(job)
        audit_record(actor=actor, action="bulk_job.cancel_requested", merchant=job.merchant, obj=job)
    job.refresh_from_db()
    return job


def _cancel_rest(job: BulkJob) -> None:
    now = timezone.now()
    left = BulkJobRow.objects.filter(job=job, status=BulkJobRow.Status.PENDING).update(
        status=BulkJobRow.Status.CANCELED, finished_at=now
    )
    BulkJob.objects.filter(pk=job.pk).update(
        status=BulkJob.Status.CANCELED, finished_at=now, updated_at=now, cancel_requested_at=now
    )
    logger.info("bulk job %s canceled with %s rows not run", job.public_id, left)


# --- run --------------------------------------------------------------------------------------


# The embedded demo (SQLite, one machine) has no advisory locks: an exclusive flock on a file per
# job under CLEARHOUSE_VAR_DIR does the same across the worker's processes.
_FILE_LOCKS: dict[int, object] = {}


def _try_lock(job_pk: int) -> bool:
    if connection.vendor != "postgresql":
        return _try_file_lock(job_pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, job_pk])
        return bool(cursor.fetchone()[0])


def _unlock(job_pk: int) -> None:
    if connection.vendor != "postgresql":
        handle = _FILE_LOCKS.pop(job_pk, None)
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, job_pk])


def _try_file_lock(job_pk: int) -> bool:
    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / f"bulk_job_{job_pk}.lock", "a+")  # noqa: SIM115 (held until _unlock)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _FILE_LOCKS[job_pk] = handle
    return True


def bulk_job_run(*, job_id: int) -> BulkJob | None:
    """Runs the job's rows that have not finished, in order. Returns None when another runner
    holds the job (that runner finishes it)."""
    if not _try_lock(job_id):
        return None
    try:
        return _run(job_id)
    finally:
        _unlock(job_id)


def _run(job_id: int) -> BulkJob:
    now = timezone.now()
    started = BulkJob.objects.filter(
        pk=job_id, status__in=[BulkJob.Status.QUEUED, BulkJob.Status.RUNNING]
    ).update(status=BulkJob.Status.RUNNING, started_at=now, heartbeat_at=now, updated_at=now)
    job = BulkJob.objects.select_related("merchant").get(pk=job_id)
    if not started:
        return job
    actor = _actor(job)
    open_rows = BulkJobRow.objects.filter(
        job=job, status__in=[BulkJobRow.Status.PENDING, BulkJobRow.Status.RUNNING]
    ).order_by("number")
    for row in open_rows.iterator(chunk_size=200):
        row.job = job
        if BulkJob.objects.filter(pk=job.pk, cancel_requested_at__isnull=False).exists():
            with transaction.atomic():
                _cancel_rest(job)
            break
        _rate_wait(job)
        if row.status == BulkJobRow.Status.PENDING:
            BulkJobRow.objects.filter(pk=row.pk).update(status=BulkJobRow.Status.RUNNING)
        _record(job, row, _execute(job, row, actor))
    else:
        failed = BulkJob.objects.filter(pk=job.pk).values_list("failed_rows", flat=True).get()
        final = BulkJob.Status.COMPLETED_WITH_ERRORS if failed else BulkJob.Status.COMPLETED
        BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.RUNNING).update(
            status=final, finished_at=timezone.now(), updated_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def _rate_wait(job: BulkJob) -> None:
    """Each row counts against the merchant key's rate limit like an API request; a throttled row
    waits for the next window (the job does not fail)."""
    if not job.api_key_public_id:
        return
    request = SimpleNamespace(api_key=SimpleNamespace(public_id=job.api_key_public_id))
    deadline = time.monotonic() + RATE_WAIT_MAX_SECONDS
    while True:
        throttle = ApiKeyRateThrottle()
        if throttle.allow_request(request, None) or time.monotonic() > deadline:
            return
        BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
        time.sleep(min(max(throttle.wait(), 0.05), 5.0))


def _find(job: BulkJob, key: str):
    model = PaymentIntent if job.kind == BulkJob.Kind.PAYMENT_INTENTS else Refund
    return (
        model.objects.filter(
            merchant=job.merchant,
            livemode=job.livemode,
            created_at__gte=job.created_at,
            # A key lookup, not `metadata__contains`: SQLite (the embedded demo) has no JSON containment.
            **{f"metadata__{MARKER}": key},
        )
        .order_by("id")
        .first()
    )


def _execute(job: BulkJob, row: BulkJobRow, actor: Actor) -> dict:
    """The row's outcome: {object, status} or {error: {...}} (with the object when one exists)."""
    key = row.idempotency_key
    existing = _find(job, key)
    if existing is not None:  # created by an earlier run that died before recording it
        return _outcome_of(existing)
    params = dict(row.params)
    params["metadata"] = {**(params.get("metadata") or {}), MARKER: key}
    try:
        if job.kind == BulkJob.Kind.PAYMENT_INTENTS:
            obj = payment_intent_create(merchant=job.merchant, livemode=job.livemode, actor=actor, **params)
        else:
            obj = refund_create(merchant=job.merchant, livemode=job.livemode, actor=actor, **params)
    except ApplicationError as exc:
        found = _find(job, key)
        return {
            "object": found.public_id if found else "",
            "status": getattr(found, "status", ""),
            "error": {"code": exc.code, "param": exc.param or "", "message": exc.message},
        }
    except Exception as exc:  # a bug must not stop the other rows; it is logged with the row
        logger.exception("bulk job %s row %s raised", job.public_id, row.number)
        return {
            "object": "",
            "status": "",
            "error": {"code": "api_error", "param": "", "message": type(exc).__name__},
        }
    obj.refresh_from_db()
    return _outcome_of(obj)


def _outcome_of(obj) -> dict:
    error = getattr(obj, "last_payment_error", None)
    if (
        isinstance(obj, PaymentIntent)
        and obj.status == PaymentIntent.Status.REQUIRES_PAYMENT_METHOD
        and error
    ):
        return {
            "object": obj.public_id,
            "status": obj.status,
            "error": {
                "code": str(error.get("code") or "card_declined"),
                "param": "",
                "message": str(error.get("message") or ""),
            },
        }
    if isinstance(obj, Refund) and obj.status == Refund.Status.FAILED:
        return {
            "object": obj.public_id,
            "status": obj.status,
            "error": {
                "code": "refund_failed",
                "param": "",
                "message": obj.failure_message or obj.failure_reason or "The refund failed.",
            },
        }
    return {"object": obj.public_id, "status": obj.status}


def _record(job: BulkJob, row: BulkJobRow, outcome: dict) -> None:
    error = outcome.get("error")
    now = timezone.now()
    with transaction.atomic():
        updated = BulkJobRow.objects.filter(pk=row.pk, status=BulkJobRow.Status.RUNNING).update(
            status=BulkJobRow.Status.FAILED if error else BulkJobRow.Status.SUCCEEDED,
            object_id=outcome.get("object") or "",
            object_status=outcome.get("status") or "",
            error_code=(error or {}).get("code", "")[:64],
            error_param=(error or {}).get("param", "")[:64],
            error_message=(error or {}).get("message", "")[:500],
            finished_at=now,
        )
        if updated:
            BulkJob.objects.filter(pk=job.pk).update(
                processed_rows=F("processed_rows") + 1,
                succeeded_rows=F("succeeded_rows") + (0 if error else 1),
                failed_rows=F("failed_rows") + (1 if error else 0),
                heartbeat_at=now,
                updated_at=now,
            )


def bulk_jobs_resume(*, limit: int = 50) -> int:
    """The sweeper: a job whose runner died (no heartbeat for STALE_AFTER) or whose start was lost
    is enqueued again; the advisory lock keeps a live runner the only one."""
    stale = timezone.now() - STALE_AFTER
    ids = list(
        BulkJob.objects.filter(status=BulkJob.Status.RUNNING, heartbeat_at__lt=stale).values_list(
            "pk", flat=True
        )[:limit]
    ) + list(
        BulkJob.objects.filter(status=BulkJob.Status.QUEUED, updated_at__lt=stale).values_list(
            "pk", flat=True
        )[:limit]
    )
    for pk in ids:
        bulk_job_run_task.delay(pk)
    return len(ids)
