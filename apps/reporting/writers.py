"""Streaming writers of report rows: CSV, JSON Lines and Parquet, a batch at a time (constant
memory whatever the number of rows). Rows arrive as tuples of a type's source fields; each batch
is converted column by column (amounts stay integers; decimals are exact strings)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from zoneinfo import ZoneInfo

from .report_types import Column, ReportType, exponent_of

BATCH = 10_000
SCHEMA_VERSION = "1"


def _decimal(amount, currency) -> str:
    if amount is None:
        return ""
    exponent = exponent_of(currency)
    if not exponent:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(int(amount)), 10**exponent)
    return f"{sign}{whole}.{str(frac).zfill(exponent)}"


def _converter(column: Column, index: dict[str, int], tz: ZoneInfo):
    i = index[column.source]
    kind = column.kind
    if kind == "decimal":
        j = index[column.currency]
        return lambda rows: [_decimal(r[i], r[j]) for r in rows]
    if kind in ("amount", "int"):
        return lambda rows: [None if r[i] is None else int(r[i]) for r in rows]
    if kind == "timestamp":
        return lambda rows: [None if r[i] is None else int(r[i].timestamp()) for r in rows]
    if kind == "local_time":
        return lambda rows: ["" if r[i] is None else r[i].astimezone(tz).isoformat() for r in rows]
    if kind == "bool":
        return lambda rows: [None if r[i] is None else bool(r[i]) for r in rows]
    if kind == "date":
        return lambda rows: ["" if r[i] is None else r[i].isoformat() for r in rows]
    if kind == "json":
        return lambda rows: [json.dumps(r[i], sort_keys=True, separators=(",", ":")) for r in rows]
    return lambda rows: ["" if r[i] is None else str(r[i]) for r in rows]


def arrow_type(kind: str):
    import pyarrow as pa

    if kind in ("amount", "int", "timestamp"):
        return pa.int64()
    if kind == "bool":
        return pa.bool_()
    return pa.string()


def arrow_schema(columns: list[Column], metadata: dict):
    """The Parquet schema: each column's type and kind, the run's metadata (JSON strings)."""
    import pyarrow as pa

    fields = [
        pa.field(c.name, arrow_type(c.kind), metadata={"kind": c.kind, "description": c.description})
        for c in columns
    ]
    meta = {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in metadata.items()}
    return pa.schema(fields, metadata=meta)


class Batches:
    """Converts source tuples to column lists, BATCH rows at a time."""

    def __init__(self, report_type: ReportType, columns: list[str], tz: ZoneInfo):
        index = {name: i for i, name in enumerate(report_type.fields)}
        self.columns = [report_type.column(name) for name in columns]
        self.converters = [_converter(c, index, tz) for c in self.columns]

    def __call__(self, rows: Iterable[tuple]) -> Iterator[list[list]]:
        rows = iter(rows)
        while True:
            chunk = list(islice(rows, BATCH))
            if not chunk:
                return
            yield [convert(chunk) for convert in self.converters]


def _csv_cell(value):
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value


class CsvWriter:
    def __init__(self, fh, columns: list[Column], metadata: dict):
        self.text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
        self.writer = csv.writer(self.text, lineterminator="\n")
        self.writer.writerow([c.name for c in columns])

    def write(self, batch: list[list]) -> None:
        self.writer.writerows([[_csv_cell(v) for v in row] for row in zip(*batch, strict=True)])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class JsonlWriter:
    def __init__(self, fh, columns: list[Column], metadata: dict):
        self.fh = fh
        self.names = [c.name for c in columns]

    def write(self, batch: list[list]) -> None:
        names = self.names
        lines = [
            json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, separators=(",", ":"))
            for row in zip(*batch, strict=True)
        ]
        self.fh.write(("\n".join(lines) + "\n").encode())

    def close(self) -> None:
        self.fh.flush()


class ParquetWriter:
    """One row group per batch; the schema version, report type and parameters are in the file's
    key-value metadata (nothing time-dependent, so a re-run writes the same bytes)."""

    def __init__(self, fh, columns: list[Column], metadata: dict):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = arrow_schema(columns, metadata)
        self.writer = pq.ParquetWriter(fh, self.schema, compression="zstd")
        self.wrote = False

    def write(self, batch: list[list]) -> None:
        pa = self.pa
        arrays = [pa.array(values, type=f.type) for values, f in zip(batch, self.schema, strict=True)]
        self.writer.write_batch(pa.record_batch(arrays, schema=self.schema))
        self.wrote = True

    def close(self) -> None:
        self.writer.close()


WRITERS = {"csv": CsvWriter, "jsonl": JsonlWriter, "parquet": ParquetWriter}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
