"""Ingest: a file's bytes → `SettlementFile` (pending → processing → processed | failed) with its
batches and lines, loaded with COPY into a staging table and inserted set-based.

The same bytes twice are refused (sha256, linking the first file); a file with any malformed row
is `failed` with the per-row report (row, column, message) and posts nothing."""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from typing import BinaryIO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record

from ..errors import SettlementFileDuplicate, SettlementFormatInvalid, SettlementMappingRequired
from ..models import BankLine, ColumnMapping, SettlementBatch, SettlementFile, SettlementLine
from ..parsers import AcquirerRow, BankRow, parse_file
from ..parsers.csvfiles import iter_csv
from ..parsers.registry import acquirer_layout
from .copyload import CHUNK, stream_acquirer_copy

F = SettlementFile.Format
CONNECTOR_OF_FORMAT = {F.SANDBOX_CSV: "sandbox", F.STRIPE_PAYOUT_RECONCILIATION: "stripe",
                       F.ADYEN_SETTLEMENT_DETAILS: "adyen"}  # fmt: skip
MAX_ERRORS_KEPT = 500


def _source_kind(fmt: str, mapping: ColumnMapping | None) -> str:
    if fmt in SettlementFile.BANK_FORMATS or (mapping is not None and mapping.source_kind == "bank"):
        return ColumnMapping.SourceKind.BANK
    return ColumnMapping.SourceKind.ACQUIRER


def settlement_file_ingest(
    *,
    content: bytes | BinaryIO,
    fmt: str,
    actor: Actor,
    filename: str = "",
    livemode: bool = False,
    connector_code: str = "",
    mapping: ColumnMapping | None = None,
    source: str = "upload",
    merchant=None,
) -> SettlementFile:
    """Parses and loads one file; returns it `processed` or `failed` (with `errors`). Raises
    `SettlementFileDuplicate` for bytes ingested before. `content`: the bytes, or a binary file
    (an upload): an acquirer CSV taking the COPY path is read from it in chunks, so the worker's
    memory stays flat whatever the file's size; the other paths read it whole."""
    if fmt not in F.values:
        raise SettlementFormatInvalid(fmt=fmt)
    if fmt == F.GENERIC_CSV and mapping is None:
        raise SettlementMappingRequired()
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    digest, size = _digest(stream)
    first = SettlementFile.objects.filter(sha256=digest).only("public_id").first()
    if first is not None:
        raise SettlementFileDuplicate(first_file=first.public_id)
    connector_code = (
        connector_code or CONNECTOR_OF_FORMAT.get(fmt, "") or (mapping.connector_code if mapping else "")
    )
    try:
        with transaction.atomic():
            file = SettlementFile.objects.create(
                merchant=merchant, format=fmt, source_kind=_source_kind(fmt, mapping), connector_code=connector_code,
                livemode=livemode, filename=filename[:255], sha256=digest, size=size, mapping=mapping,
                source=source, uploaded_by=actor.label[:150],
            )  # fmt: skip
    except IntegrityError:  # the same bytes, ingested concurrently
        first = SettlementFile.objects.get(sha256=digest)
        raise SettlementFileDuplicate(first_file=first.public_id) from None
    SettlementFile.objects.filter(pk=file.pk).update(status=SettlementFile.Status.PROCESSING)
    layout = acquirer_layout(fmt, mapping) if connection.vendor == "postgresql" else None
    if layout is not None and file.source_kind == ColumnMapping.SourceKind.ACQUIRER:
        count, errors = _stream_acquirer(file, stream, layout)
    else:
        parsed = parse_file(_whole(stream), fmt, mapping=mapping)
        errors, count = parsed.errors, len(parsed.acquirer) + len(parsed.bank) + len(parsed.errors)
        if not errors:
            with transaction.atomic():
                if file.source_kind == ColumnMapping.SourceKind.BANK:
                    _load_bank(file, parsed.bank)
                else:
                    _load_acquirer(file, parsed.acquirer)
            count = len(parsed.acquirer) + len(parsed.bank)
    file.processed_at = timezone.now()
    file.row_count = count
    if errors:
        file.status = SettlementFile.Status.FAILED
        file.errors = [e.as_dict() for e in errors[:MAX_ERRORS_KEPT]]
        file.save(update_fields=["status", "errors", "row_count", "processed_at", "updated_at"])
        audit_record(actor=actor, action="reconciliation.file_failed", obj=file,
                     after={"errors": len(errors), "format": fmt})  # fmt: skip
        return file
    file.status = SettlementFile.Status.PROCESSED
    file.save(update_fields=["status", "row_count", "processed_at", "updated_at"])
    audit_record(actor=actor, action="reconciliation.file_ingested", obj=file,
                 after={"rows": count, "format": fmt, "sha256": digest})  # fmt: skip
    return file


class _Invalid(Exception):
    """A malformed row: the transaction that staged the lines rolls back, nothing is posted."""


_STAGING = (
    "CREATE TEMP TABLE recon_line_stream (row_number integer, record_type text, psp_reference text,"
    " merchant_reference text, currency text, gross bigint, fee bigint, settled_on date, payout_reference text,"
    " cells text[]) ON COMMIT DROP"
)
_STREAM_COLUMNS = ("row_number", "record_type", "psp_reference", "merchant_reference", "currency", "gross", "fee",
                   "settled_on", "payout_reference", "cells")  # fmt: skip


def _digest(stream: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _whole(stream: BinaryIO) -> bytes:
    stream.seek(0)
    return stream.read()


def _stream_acquirer(file: SettlementFile, stream: BinaryIO, layout) -> tuple[int, list]:
    """Reads, validates and COPYs the rows as they come (memory flat in the file's size), then
    builds the batches and inserts the lines set-based; any malformed row rolls it all back."""
    errors: list = []
    payouts: dict[tuple, AcquirerRow] = {}
    count = 0
    header = None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            fast = stream_acquirer_copy(cursor, stream, layout, file_id=file.pk,
                                        batches=lambda keys, payouts: _new_batches(file, keys, payouts))  # fmt: skip
            if fast is not None:  # COPY of the bytes as they are, converted in SQL
                _batch_sums(fast)
                _keep_header(file, fast.header)
                return fast.rows, []
            cursor.execute("DROP TABLE IF EXISTS recon_line_stream")  # a caller's open transaction keeps it
            cursor.execute(_STAGING)
            with cursor.copy(f"COPY recon_line_stream ({', '.join(_STREAM_COLUMNS)}) FROM STDIN") as copy:
                for row, error in iter_csv(_whole(stream), layout):
                    if error is not None:
                        errors.append(error)
                        continue
                    if row is None:
                        continue
                    count += 1
                    if row.record_type == "payout":
                        payouts[(row.settled_on, row.currency)] = row
                    elif not errors:
                        header = header or list(row.raw)
                        copy.write_row((row.row_number, row.record_type, row.psp_reference, row.merchant_reference,
                                        row.currency, row.gross, row.fee, row.settled_on, row.payout_reference,
                                        list(row.raw.values())))  # fmt: skip
            if errors:
                raise _Invalid
            _batches_from_stream(cursor, file, payouts)
            _keep_header(file, header or [])
    except _Invalid:
        return count + len(errors), errors
    return count, []


# The fast path stages payout and skipped rows too (the row-by-row path never writes them).
_LINE_ROWS = "record_type NOT IN ('payout', '')"


def _batches_from_stream(cursor, file: SettlementFile, payouts: dict) -> None:
    cursor.execute(
        "SELECT settled_on, currency, SUM(gross), SUM(fee), COUNT(*), MAX(payout_reference) FROM recon_line_stream"
        f" WHERE {_LINE_ROWS} GROUP BY settled_on, currency"
    )
    sums = {(day, currency): rest for day, currency, *rest in cursor.fetchall()}
    batches = []
    for key in sorted(set(sums) | set(payouts)):
        gross, fees, lines, reference = sums.get(key, (0, 0, 0, ""))
        batch = _new_batch(file, key, payouts.get(key))
        batch.payout_reference = batch.payout_reference or reference or ""
        batch.gross, batch.fees, batch.net, batch.line_count = (
            int(gross or 0),
            int(fees or 0),
            int((gross or 0) - (fees or 0)),
            int(lines),
        )
        batches.append(batch)
    SettlementBatch.objects.bulk_create(batches)
    table, batch_table = SettlementLine._meta.db_table, SettlementBatch._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {table} (file_id, batch_id, merchant_id, connector_code, livemode, row_number, record_type,
                             psp_reference, merchant_reference, currency, gross, fee, settled_on, cells, edited)
        SELECT %s, b.id, %s, %s, %s, s.row_number, s.record_type, s.psp_reference, s.merchant_reference, s.currency,
               s.gross, s.fee, s.settled_on, s.cells, '{{}}'::jsonb
        FROM recon_line_stream s JOIN {batch_table} b
             ON b.file_id = %s AND b.settled_on = s.settled_on AND b.currency = s.currency
        WHERE s.{_LINE_ROWS}
        """,
        [file.pk, file.merchant_id, file.connector_code, file.livemode, file.pk],
    )


def _keep_header(file: SettlementFile, header: list[str]) -> None:
    """The file's header, once: each line keeps its cells in this order (`SettlementLine.raw`)."""
    file.header = header
    SettlementFile.objects.filter(pk=file.pk).update(header=header)


def _new_batch(file: SettlementFile, key: tuple, payout) -> SettlementBatch:
    """The batch of one (day, currency) of the file, its sums still zero; `payout`: its payout row."""
    return SettlementBatch(
        public_id=_public_id(), file=file, merchant_id=file.merchant_id, connector_code=file.connector_code,
        livemode=file.livemode, settled_on=key[0], currency=key[1],
        payout_reference=payout.payout_reference if payout else "", reported_payout=payout.gross if payout else None,
    )  # fmt: skip


def _new_batches(file: SettlementFile, keys: set, payouts: dict) -> dict:
    batches = {key: _new_batch(file, key, payouts.get(key)) for key in sorted(keys)}
    SettlementBatch.objects.bulk_create(batches.values())
    return {key: batch.pk for key, batch in batches.items()}


def _batch_sums(loaded) -> None:
    """The fast path's batches: what their lines add up to (and their payout reference, if no payout row)."""
    batches = list(SettlementBatch.objects.filter(pk__in=[*loaded.sums, *loaded.references]))
    for batch in batches:
        gross, fees, lines = loaded.sums.get(batch.pk, (0, 0, 0))
        batch.gross, batch.fees, batch.net, batch.line_count = gross, fees, gross - fees, lines
        batch.payout_reference = batch.payout_reference or loaded.references.get(batch.pk) or ""
    SettlementBatch.objects.bulk_update(batches, ["gross", "fees", "net", "line_count", "payout_reference"])


def _load_acquirer(file: SettlementFile, rows: list[AcquirerRow]) -> int:
    groups: dict[tuple, list[AcquirerRow]] = defaultdict(list)
    payouts: dict[tuple, AcquirerRow] = {}
    for row in rows:
        if row.record_type == "payout":
            payouts[(row.settled_on, row.currency)] = row
        else:
            groups[(row.settled_on, row.currency)].append(row)
    batches: dict[tuple, SettlementBatch] = {}
    for key in sorted(set(groups) | set(payouts)):
        lines, payout = groups.get(key, []), payouts.get(key)
        reference = (
            payout.payout_reference
            if payout
            else next((r.payout_reference for r in lines if r.payout_reference), "")
        )
        batches[key] = SettlementBatch(
            file=file, merchant_id=file.merchant_id, connector_code=file.connector_code, livemode=file.livemode,
            settled_on=key[0],
            currency=key[1], payout_reference=reference, gross=sum(r.gross for r in lines),
            fees=sum(r.fee for r in lines), net=sum(r.gross - r.fee for r in lines),
            reported_payout=payout.gross if payout else None, line_count=len(lines),
        )  # fmt: skip
    for batch in batches.values():
        batch.public_id = batch.public_id or _public_id()
    SettlementBatch.objects.bulk_create(batches.values())
    batch_ids = {key: b.pk for key, b in batches.items()}
    records = [
        (file.pk, batch_ids[(r.settled_on, r.currency)], file.merchant_id, file.connector_code, file.livemode, r.row_number,
         r.record_type, r.psp_reference, r.merchant_reference, r.currency, r.gross, r.fee, r.settled_on,
         list(r.raw.values()))
        for r in rows if r.record_type != "payout"
    ]  # fmt: skip
    _keep_header(file, next((list(r.raw) for r in rows if r.record_type != "payout"), []))
    _copy_lines(records)
    return len(rows)


def _public_id() -> str:
    from apps.core.ids import generate_id

    return generate_id(SettlementBatch.ID_PREFIX)


_LINE_COLUMNS = ("file_id", "batch_id", "merchant_id", "connector_code", "livemode", "row_number", "record_type", "psp_reference",
                 "merchant_reference", "currency", "gross", "fee", "settled_on", "cells")  # fmt: skip


def _copy_lines(records: list[tuple]) -> None:
    """COPY into a temporary staging table, then one INSERT … SELECT (PostgreSQL); the embedded
    SQLite demo inserts in bulk."""
    if not records:
        return
    if connection.vendor != "postgresql":
        SettlementLine.objects.bulk_create(
            [SettlementLine(**dict(zip(_LINE_COLUMNS, r, strict=True)), edited={}) for r in records],
            batch_size=2000,
        )
        return
    table = SettlementLine._meta.db_table
    columns = ", ".join(_LINE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS recon_line_staging (file_id bigint, batch_id bigint, merchant_id bigint,"
            " connector_code text,"
            " livemode boolean, row_number integer, record_type text, psp_reference text, merchant_reference text,"
            " currency text, gross bigint, fee bigint, settled_on date, cells text[]) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY recon_line_staging ({columns}) FROM STDIN") as copy:
            for r in records:
                copy.write_row(r)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, edited) SELECT {columns}, '{{}}'::jsonb FROM recon_line_staging"
        )
        cursor.execute("TRUNCATE recon_line_staging")


def _load_bank(file: SettlementFile, rows: list[BankRow]) -> None:
    BankLine.objects.bulk_create(
        [BankLine(file=file, merchant_id=file.merchant_id, livemode=file.livemode, row_number=r.row_number, booked_on=r.booked_on, amount=r.amount,
                  currency=r.currency, reference=r.reference, counterparty=r.counterparty, raw=r.raw) for r in rows],
        batch_size=2000,
    )  # fmt: skip


def io_bytes(upload) -> bytes:
    """An uploaded file's bytes (Django UploadedFile or bytes)."""
    if isinstance(upload, bytes | bytearray):
        return bytes(upload)
    buffer = io.BytesIO()
    for chunk in upload.chunks():
        buffer.write(chunk)
    return buffer.getvalue()
