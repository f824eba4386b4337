"""Report runs: `pending → succeeded | failed` (Stripe's reporting.report_run).

`report_run_create` validates the parameters against the report type and enqueues the run
after commit; `report_run_execute` (the Celery task's body) streams the rows into a temporary
file a batch at a time, writes progress as it goes, stores the file with its manifest and
records the `reporting.report_run.succeeded` / `failed` event."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import tempfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.webhooks.services import event_record

from .. import sql_export
from ..errors import (
    IntervalInverted,
    ReportColumnUnknown,
    ReportFormatInvalid,
    ReportIntervalUnavailable,
    ReportParameterUnknown,
    ReportTypeUnknown,
)
from ..models import ReportRun
from ..payloads import report_run_payload
from ..report_types import Context, ReportType, report_type_get
from ..selectors import data_available, reporting_timezone, timezone_param
from ..tasks import report_run_execute_task
from ..writers import SCHEMA_VERSION, WRITERS, Batches

logger = logging.getLogger("clearhouse.reporting")

BASE_PARAMETERS = ("interval_start", "interval_end", "timezone", "columns")


def _unix(value, *, name: str) -> int:
    from apps.core.errors import ParameterInvalidInteger
    from apps.core.limits import UNIX_MAX, UNIX_MIN, ascii_int

    if isinstance(value, str):
        value = ascii_int(value, minimum=UNIX_MIN, maximum=UNIX_MAX)
    if isinstance(value, bool) or not isinstance(value, int) or not (UNIX_MIN <= value <= UNIX_MAX):
        raise ParameterInvalidInteger(
            f"{name} must be unix seconds (an integer from {UNIX_MIN} to {UNIX_MAX}).", param=name
        )
    return value


def report_parameters_normalize(
    *, merchant, livemode: bool, report_type: str, format: str, parameters
) -> tuple[ReportType, dict]:
    """The run's parameters, checked and with their defaults filled in: interval_start and
    interval_end (unix seconds, start inclusive, end exclusive), timezone, columns, filters."""
    rtype = report_type_get(report_type) if isinstance(report_type, str) else None
    if rtype is None:
        raise ReportTypeUnknown(value=report_type)
    if format not in WRITERS:
        raise ReportFormatInvalid(value=format)
    parameters = dict(parameters or {})
    known = (*BASE_PARAMETERS, *rtype.filters)
    for name in parameters:
        if name not in known:
            raise ReportParameterUnknown(
                name=name, report=rtype.id, known=", ".join(known), param=f"parameters[{name}]"
            )
    start = _unix(parameters.get("interval_start"), name="parameters[interval_start]")
    end = _unix(parameters.get("interval_end"), name="parameters[interval_end]")
    if end <= start:
        raise IntervalInverted(
            start_name="parameters[interval_start]",
            end_name="parameters[interval_end]",
            param="parameters[interval_end]",
        )
    available_start, available_end = data_available(merchant=merchant, now=timezone.now())
    bounds = {
        "available_start": int(available_start.timestamp()),
        "available_end": int(available_end.timestamp()),
    }
    if start < bounds["available_start"]:
        raise ReportIntervalUnavailable(
            name="parameters[interval_start]", param="parameters[interval_start]", **bounds
        )
    if end > bounds["available_end"]:
        raise ReportIntervalUnavailable(
            name="parameters[interval_end]", param="parameters[interval_end]", **bounds
        )
    tz_name = parameters.get("timezone") or reporting_timezone(merchant)
    timezone_param(tz_name, param="parameters[timezone]")
    columns = parameters.get("columns")
    if columns in (None, [], ""):
        columns = list(rtype.default_columns or rtype.column_names)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ReportColumnUnknown(report=rtype.id, name=str(columns))
    for name in columns:
        if name not in rtype.column_names:
            raise ReportColumnUnknown(report=rtype.id, name=name)
    normalized = {"interval_start": start, "interval_end": end, "timezone": tz_name, "columns": columns}
    for name in rtype.filters:
        value = parameters.get(name)
        if value not in (None, ""):
            if not isinstance(value, str) or len(value) > 64:
                from apps.core.errors import ParameterInvalid

                raise ParameterInvalid(f"parameters[{name}] must be a string.", param=f"parameters[{name}]")
            normalized[name] = value.upper() if name == "currency" else value
    return rtype, normalized


def parameters_hash(*, report_type: str, format: str, parameters: dict) -> str:
    body = json.dumps(
        {"report_type": report_type, "format": format, "parameters": parameters}, sort_keys=True
    )
    return hashlib.sha256(body.encode()).hexdigest()


def report_run_create(
    *, merchant, livemode: bool, report_type: str, format: str = "csv", parameters=None, actor: Actor
) -> ReportRun:
    rtype, normalized = report_parameters_normalize(
        merchant=merchant, livemode=livemode, report_type=report_type, format=format, parameters=parameters
    )
    with transaction.atomic():
        run = ReportRun.objects.create(
            merchant=merchant,
            livemode=livemode,
            report_type=rtype.id,
            format=format,
            parameters=normalized,
            parameters_hash=parameters_hash(report_type=rtype.id, format=format, parameters=normalized),
            requested_by=actor.label,
        )
        audit_record(
            actor=actor,
            action="report_run.created",
            merchant=merchant,
            obj=run,
            after={"report_type": run.report_type, "format": format, "parameters": normalized},
        )
        run_id = run.pk
        transaction.on_commit(lambda: report_run_execute_task.delay(run_id))
    return run


def _context(run: ReportRun) -> Context:
    p = run.parameters
    return Context(
        merchant_id=run.merchant_id,
        livemode=run.livemode,
        start=datetime.fromtimestamp(p["interval_start"], tz=UTC),
        end=datetime.fromtimestamp(p["interval_end"], tz=UTC),
        tz=ZoneInfo(p["timezone"]),
        filters={k: v for k, v in p.items() if k not in BASE_PARAMETERS},
    )


def _sha256(fh) -> tuple[str, int]:
    fh.seek(0)
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: fh.read(1 << 16), b""):
        digest.update(block)
        size += len(block)
    fh.seek(0)
    return digest.hexdigest(), size


def file_metadata(run: ReportRun, rtype: ReportType) -> dict:
    """What the file itself carries (Parquet key-value metadata): nothing that changes between
    two runs of the same parameters."""
    return {
        "clearhouse.report_type": rtype.id,
        "clearhouse.schema_version": SCHEMA_VERSION,
        "clearhouse.parameters": run.parameters,
    }


def _manifest(run: ReportRun, rtype: ReportType, *, rows: int, sha256: str, size: int, now) -> dict:
    previous = (
        ReportRun.objects.filter(
            merchant_id=run.merchant_id,
            livemode=run.livemode,
            parameters_hash=run.parameters_hash,
            status=ReportRun.Status.SUCCEEDED,
        )
        .exclude(pk=run.pk)
        .order_by("-succeeded_at", "-pk")
        .values("public_id", "sha256", "manifest")
        .first()
    )
    data_closed = run.parameters["interval_end"] <= int((now - timedelta(hours=1)).timestamp())
    return {
        "report_run": run.public_id,
        "report_type": rtype.id,
        "report_type_version": rtype.version,
        "schema_version": SCHEMA_VERSION,
        "format": run.format,
        "parameters": run.parameters,
        "parameters_hash": run.parameters_hash,
        "columns": [{"name": c, "kind": rtype.column(c).kind} for c in run.parameters["columns"]],
        "row_count": rows,
        "sha256": sha256,
        "size": size,
        "generated_at": now.isoformat(),
        "interval_closed": data_closed,
        # A re-run has the parameters of an earlier run: the same sha256 means the same data;
        # another means the data changed between them (late captures, refunds, disputes).
        "previous_run": previous["public_id"] if previous else None,
        "previous_sha256": previous["sha256"] if previous else None,
        "changed_since_previous": (previous["sha256"] != sha256) if previous else None,
    }


def _progress(run_pk: int):
    def report(rows: int) -> None:
        ReportRun.objects.filter(pk=run_pk).update(rows_written=rows)

    return report


@contextlib.contextmanager
def copy_progress(run_pk: int):
    """Progress during a COPY, which holds the worker's connection until it ends: written on a
    second, autocommit connection (the run's row is committed: the task runs after commit)."""
    from django.db import connection

    side = connection.get_new_connection(connection.get_connection_params())
    side.autocommit = True

    def report(rows: int) -> None:
        side.execute("UPDATE reporting_reportrun SET rows_written = %s WHERE id = %s", [rows, run_pk])

    try:
        yield report
    finally:
        side.close()


def _start(run_pk: int, estimated: int) -> None:
    ReportRun.objects.filter(pk=run_pk).update(
        started_at=timezone.now(), rows_estimated=estimated, rows_written=0
    )


def _write_rows(run: ReportRun, rtype: ReportType, ctx: Context, fh) -> int:
    """Stream the run's rows into `fh`; returns how many. In SQL on PostgreSQL when the type
    reads one queryset; otherwise the type's Python source, a batch at a time."""
    columns = run.parameters["columns"]
    progress = _progress(run.pk)
    if sql_export.supported(rtype):
        with sql_export.read_connection(run.parameters["timezone"]) as raw:
            _start(run.pk, sql_export.count(raw, rtype, ctx))
            if run.format == ReportRun.Format.JSONL:
                return sql_export.write_jsonl(raw, rtype, ctx, columns, fh, progress)
            if run.format == ReportRun.Format.PARQUET:
                metadata = file_metadata(run, rtype)
                return sql_export.write_parquet(raw, rtype, ctx, columns, fh, progress, metadata)
            with copy_progress(run.pk) as side:
                written = sql_export.copy_csv(raw, rtype, ctx, columns, fh, side)
            progress(written)
            return written
    _start(run.pk, rtype.count(ctx))
    batches = Batches(rtype, columns, ctx.tz)
    writer = WRITERS[run.format](fh, batches.columns, file_metadata(run, rtype))
    written = 0
    for batch in batches(rtype.source(ctx)):
        writer.write(batch)
        written += len(batch[0])
        progress(written)
    writer.close()
    return written


def report_run_execute(*, report_run_id: int) -> str:
    """Stream the run's rows into its file. Safe to run twice: a finished run is left alone."""
    run = ReportRun.objects.get(pk=report_run_id)
    if run.status != ReportRun.Status.PENDING:
        return run.status
    rtype = report_type_get(run.report_type)
    try:
        if rtype is None:
            raise LookupError(f"report type {run.report_type} is no longer registered")
        ctx = _context(run)
        with tempfile.TemporaryFile() as fh:
            written = _write_rows(run, rtype, ctx, fh)
            sha256, size = _sha256(fh)
            now = timezone.now()
            manifest = _manifest(run, rtype, rows=written, sha256=sha256, size=size, now=now)
            run.file.save(f"{run.public_id}.{run.format}", File(fh), save=False)
    except Exception as exc:
        logger.exception("report run %s failed", run.public_id)
        return _finish_failed(run.pk, error=f"{type(exc).__name__}: {exc}")
    with transaction.atomic():
        locked = ReportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != ReportRun.Status.PENDING:
            return locked.status
        locked.status = ReportRun.Status.SUCCEEDED
        locked.rows_written = written
        locked.file = run.file.name
        locked.size = size
        locked.sha256 = sha256
        locked.manifest = manifest
        locked.succeeded_at = now
        locked.save(
            update_fields=[
                "status",
                "rows_written",
                "file",
                "size",
                "sha256",
                "manifest",
                "succeeded_at",
                "updated_at",
            ]
        )
        event_record(
            merchant=locked.merchant,
            livemode=locked.livemode,
            type="reporting.report_run.succeeded",
            data=report_run_payload(locked),
        )
    return locked.status


def _finish_failed(run_pk: int, *, error: str) -> str:
    with transaction.atomic():
        locked = ReportRun.objects.select_for_update().get(pk=run_pk)
        if locked.status != ReportRun.Status.PENDING:
            return locked.status
        locked.status = ReportRun.Status.FAILED
        locked.error = error[:2000]
        locked.failed_at = timezone.now()
        locked.save(update_fields=["status", "error", "failed_at", "updated_at"])
        event_record(
            merchant=locked.merchant,
            livemode=locked.livemode,
            type="reporting.report_run.failed",
            data=report_run_payload(locked),
        )
    return locked.status
