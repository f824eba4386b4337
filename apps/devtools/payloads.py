"""The public shape of the developer platform's objects."""

from apps.core.payloads import unix

from .models import BulkJob, BulkJobRow, Simulation, TestClock


def simulation_to_dict(sim: Simulation) -> dict:
    return {
        "id": sim.public_id,
        "object": "test_helpers.simulation",
        "type": sim.type,
        "target": sim.object_id,
        "params": dict(sim.params),
        "status": sim.status,
        "result": sim.result or None,
        "provider_event_id": sim.provider_event_id or None,
        "run_at": unix(sim.run_at),
        "applied_at": unix(sim.applied_at),
        "created": unix(sim.created_at),
        "livemode": sim.livemode,
    }


def bulk_job_to_dict(job: BulkJob) -> dict:
    base = f"/v1/{job.kind}/bulk/{job.public_id}"
    return {
        "id": job.public_id,
        "object": "bulk_job",
        "kind": job.kind,
        "status": job.status,
        "source_format": job.source_format,
        "counts": {
            "total": job.total_rows,
            "processed": job.processed_rows,
            "succeeded": job.succeeded_rows,
            "failed": job.failed_rows,
            "remaining": max(job.total_rows - job.processed_rows, 0),
        },
        "totals": [{"currency": c.lower(), "amount": a} for c, a in sorted(job.totals.items())],
        "cancel_requested": job.cancel_requested_at is not None,
        "created": unix(job.created_at),
        "started_at": unix(job.started_at),
        "finished_at": unix(job.finished_at),
        "results_url": f"{base}/results",
        "livemode": job.livemode,
    }


RESULT_COLUMNS = ("row", "status", "object", "object_status", "error_code", "error_param", "error_message")


def bulk_row_result(row: BulkJobRow) -> dict:
    return {
        "row": row.number,
        "status": row.status,
        "object": row.object_id or None,
        "object_status": row.object_status or None,
        "error_code": row.error_code or None,
        "error_param": row.error_param or None,
        "error_message": row.error_message or None,
    }


def test_clock_to_dict(clock: TestClock) -> dict:
    details = {}
    if clock.status == TestClock.Status.ADVANCING:
        details = {"advancing": {"target_frozen_time": unix(clock.frozen_time)}}
    return {
        "id": clock.public_id,
        "object": "test_helpers.test_clock",
        "created": unix(clock.created_at),
        "deletes_after": unix(clock.deletes_after),
        "frozen_time": unix(clock.frozen_time),
        "livemode": clock.livemode,
        "name": clock.name or None,
        "status": clock.status,
        "status_details": details,
    }
