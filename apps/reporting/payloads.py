"""The public shape of reporting objects (API and webhook events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from apps.core.context import public_base_url
from apps.core.payloads import unix

from .report_types import ReportType

FILE_LINK_SALT = "clearhouse.reporting.report_file"


def file_link_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "REPORT_FILE_LINK_TTL_SECONDS", 3600))


def report_file_token(run, *, now=None) -> tuple[str, int]:
    """A signed token bound to the run, its merchant and mode, valid until `expires_at`."""
    expires_at = int(((now or timezone.now()) + file_link_ttl()).timestamp())
    token = signing.dumps(
        {
            "run": run.public_id,
            "merchant": run.merchant.public_id,
            "livemode": run.livemode,
            "exp": expires_at,
        },
        salt=FILE_LINK_SALT,
        compress=True,
    )
    return token, expires_at


def report_file_url(run, *, now=None) -> tuple[str, int]:
    token, expires_at = report_file_token(run, now=now)
    return f"/v1/reporting/report_runs/{run.public_id}/file?token={token}", expires_at


def report_run_payload(run, *, now=None) -> dict:
    result = None
    if run.status == "succeeded" and run.file:
        url, expires_at = report_file_url(run, now=now)
        result = {
            "object": "file",
            "filename": run.file.name.rsplit("/", 1)[-1],
            "type": run.format,
            "size": run.size,
            "sha256": run.sha256,
            "url": url,
            # The same signed link, absolute (PUBLIC_BASE_URL): what a webhook receiver fetches.
            "download_url": public_base_url() + url,
            "expires_at": expires_at,
        }
    estimated = run.rows_estimated
    percent = None
    if estimated:
        percent = min(100.0, round(100 * run.rows_written / estimated, 1))
    elif run.status == "succeeded":
        percent = 100.0
    return {
        "id": run.public_id,
        "object": "reporting.report_run",
        "created": unix(run.created_at),
        "livemode": run.livemode,
        "report_type": run.report_type,
        "format": run.format,
        "parameters": run.parameters,
        "status": run.status,
        "error": run.error or None,
        "progress": {"rows_written": run.rows_written, "rows_estimated": estimated, "percent": percent},
        "result": result,
        "manifest": run.manifest,
        "schedule": run.schedule.public_id if run.schedule_id else None,
        "succeeded_at": unix(run.succeeded_at),
        "failed_at": unix(run.failed_at),
    }


def report_type_payload(rtype: ReportType, *, available: tuple[datetime, datetime], livemode: bool) -> dict:
    return {
        "id": rtype.id,
        "object": "reporting.report_type",
        "name": rtype.title,
        "version": rtype.version,
        "grain": rtype.grain,
        "data_available_start": int(available[0].astimezone(UTC).timestamp()),
        "data_available_end": int(available[1].astimezone(UTC).timestamp()),
        "default_columns": list(rtype.default_columns or rtype.column_names),
        "columns": [{"name": c.name, "kind": c.kind, "description": c.description} for c in rtype.columns],
        "filters": list(rtype.filters),
        "livemode": livemode,
    }


def report_schedule_payload(schedule) -> dict:
    return {
        "id": schedule.public_id,
        "object": "reporting.report_schedule",
        "created": unix(schedule.created_at),
        "livemode": schedule.livemode,
        "report_type": schedule.report_type,
        "format": schedule.format,
        "frequency": schedule.frequency,
        "timezone": schedule.timezone,
        "parameters": schedule.parameters,
        "webhook_endpoint": schedule.webhook_endpoint.public_id if schedule.webhook_endpoint_id else None,
        "delay_seconds": schedule.delay_seconds,
        "active": schedule.active,
        "next_interval_start": unix(schedule.next_interval_start),
        "next_interval_end": unix(schedule.next_interval_end),
        "next_run_at": unix(schedule.next_run_at),
        "last_run_at": unix(schedule.last_run_at),
        "last_error": schedule.last_error or None,
    }
