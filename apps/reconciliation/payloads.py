"""The public shape of reconciliation objects (API). A merchant sees only its own lines of a
platform batch, and the sums over them."""

from __future__ import annotations

import datetime as dt

from .models import (
    Discrepancy,
    ReconciliationRun,
    SettlementBatch,
    SettlementFile,
    SettlementLine,
    SettlementSync,
)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _ts(value: dt.datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def settlement_line_to_dict(line: SettlementLine) -> dict:
    return {
        "object": "settlement_line",
        "row": line.row_number,
        "type": line.record_type,
        "psp_reference": line.psp_reference,
        "merchant_reference": line.merchant_reference,
        "currency": line.currency.lower(),
        "gross": line.gross,
        "fee": line.fee,
        "net": line.gross - line.fee,
        "settled_on": _date(line.settled_on),
        "edited": line.edited or None,
    }


def settlement_to_dict(batch: SettlementBatch, lines: list[SettlementLine] | None = None) -> dict:
    own = getattr(batch, "own_lines", None)
    shown = lines if lines is not None else own
    body = {
        "id": batch.public_id,
        "object": "settlement",
        "connector": batch.connector_code,
        "currency": batch.currency.lower(),
        "settled_on": _date(batch.settled_on),
        "payout_reference": batch.payout_reference,
        "file": batch.file.public_id,
        "livemode": batch.livemode,
        "created": _ts(batch.created_at),
    }
    if shown is not None:
        body.update(
            gross=sum(line.gross for line in shown),
            fee=sum(line.fee for line in shown),
            net=sum(line.gross - line.fee for line in shown),
            line_count=len(shown),
        )
    if lines is not None:
        body["lines"] = {
            "object": "list",
            "data": [settlement_line_to_dict(line) for line in lines],
            "has_more": False,
        }
    return body


def settlement_file_to_dict(file: SettlementFile) -> dict:
    return {
        "id": file.public_id,
        "object": "settlement_file",
        "status": file.status,
        "format": file.format,
        "rows": file.row_count,
        "errors": file.errors or None,
        "settlements": [b.public_id for b in file.batches.order_by("public_id")],
    }


def settlement_sync_to_dict(job: SettlementSync) -> dict:
    return {
        "id": job.public_id,
        "object": "settlement_sync",
        "status": job.status,
        "connector": job.connector.public_id if job.connector_id else None,
        "interval_start": _date(job.interval_start),
        "interval_end": _date(job.interval_end),
        "result": job.result or None,
        "livemode": job.livemode,
        "created": _ts(job.created_at),
    }


def reconciliation_to_dict(run: ReconciliationRun) -> dict:
    return {
        "id": run.public_id,
        "object": "reconciliation",
        "status": run.status,
        "connector": run.connector_code or None,
        "interval_start": _date(run.interval_start),
        "interval_end": _date(run.interval_end),
        "as_of": _date(run.as_of),
        "progress": {
            "items_processed": run.items_processed,
            "lines_processed": run.lines_processed,
            "matched": run.matched,
            "expected": run.expected,
            "open": run.open_discrepancies,
        },
        "summary": run.summary or None,
        "failure_message": run.error or None,
        "livemode": run.livemode,
        "created": _ts(run.created_at),
    }


def discrepancy_to_dict(discrepancy: Discrepancy, describe=None) -> dict:
    return {
        "id": discrepancy.public_id,
        "object": "reconciliation_discrepancy",
        "type": discrepancy.type,
        "status": discrepancy.status,
        "day": _date(discrepancy.day),
        "currency": discrepancy.currency.lower(),
        "difference": discrepancy.difference,
        "fields": discrepancy.diffs,
        "description": describe(discrepancy) if describe else "",
        "ledger": (
            {
                "type": discrepancy.item.kind,
                "source": discrepancy.item.source_id,
                "amount": discrepancy.item.amount,
                "status": discrepancy.item.status,
            }
            if discrepancy.item_id
            else None
        ),
        "settlement_line": settlement_line_to_dict(discrepancy.line) if discrepancy.line_id else None,
        "resolution": discrepancy.resolution or None,
        "note": discrepancy.note or None,
        "awaiting_approval": bool(discrepancy.approval_id) and discrepancy.status == Discrepancy.Status.OPEN,
        "livemode": discrepancy.livemode,
        "created": _ts(discrepancy.created_at),
    }
