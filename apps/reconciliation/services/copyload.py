"""The fast ingest path of an acquirer CSV on PostgreSQL: the file's bytes go through `COPY` as
they are (PostgreSQL's own CSV reader) into a staging table of text cells, and every value is
converted and checked set-based in SQL — no Python per row.

It only ever *accepts* what the row-by-row reader (`parsers.csvfiles`) would read the same way:
anything it cannot vouch for (a blank or ragged row, a cell the SQL checks refuse, a layout with
a Python `derive`, an unusual header) makes it give up with `None`, and the caller runs the
row-by-row reader, which is the reference — it writes the per-row error report, so a malformed
file's report (row, column, message) is the same whichever path read it. The few distinct values
of a file (dates, currencies, record types) are parsed in Python by the reader's own functions,
so their semantics cannot drift; only amounts and references are read in SQL.

`tests/reconciliation/test_copyload.py` checks both paths load the same lines."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import psycopg
from django.db import DatabaseError, transaction

from apps.core.currencies import CURRENCIES

from ..parsers.base import FieldError, currency_code, parse_date
from ..parsers.csvfiles import MAX_ROWS, Layout

MAX_COLUMNS = 200
MAX_DISTINCT = 5_000  # distinct dates / currencies / record types parsed in Python
CHUNK = 1 << 20
# str.strip()'s ASCII whitespace. PostgreSQL's E-strings know \t \n \r \f but not \v (an unknown
# escape is the letter itself, so "\v" trimmed the letter v): vertical tab is \x0b.
_WS = "E' \\t\\n\\r\\f\\x0b'"
_NUMBER = r"^[+-]?([0-9]{1,18}(\.[0-9]{0,18})?|\.[0-9]{1,18})$"
_LIMIT = 2**62


@dataclass(frozen=True)
class Payout:
    gross: int
    payout_reference: str


class _GiveUp(Exception):
    pass


def _header(content: bytes, layout: Layout) -> list[str] | None:
    end = content.find(b"\n")
    first = content if end < 0 else content[:end]
    if not first.strip() or b'"' in first:
        return None
    try:
        cells = next(csv.reader([first.decode("utf-8").rstrip("\r")], delimiter=layout.delimiter))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    header = [h.strip() for h in cells]
    if len(set(header)) != len(header) or not 0 < len(header) <= MAX_COLUMNS:
        return None
    if any(layout.columns.get(f) not in header for f in layout.required):
        return None
    return header


def _record_type(raw: str, layout: Layout) -> str:
    """`_acquirer_row`'s reading of the record type column (raises FieldError)."""
    value = raw.strip()
    if layout.record_types:
        types = {k.lower(): v for k, v in layout.record_types.items()}
        if value.lower() not in types:
            raise FieldError(value)
        return types[value.lower()]
    return value.lower() or layout.default_record_type


def stream_acquirer_copy(cursor, content: bytes, layout: Layout) -> tuple[int, dict] | None:
    """Loads `recon_line_stream` (the staging table `ingest` builds batches and lines from);
    returns (rows read, payouts by (day, currency)), or None to let the row-by-row reader decide.
    Runs in its own savepoint: giving up leaves nothing behind."""
    if layout.derive is not None or layout.bank:
        return None
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    header = _header(content, layout)
    if header is None:
        return None
    try:
        with transaction.atomic():
            return _load(cursor, content, layout, header)
    except (_GiveUp, DatabaseError, psycopg.Error):  # COPY's errors come unwrapped by Django
        return None


def _load(cursor, content: bytes, layout: Layout, header: list[str]) -> tuple[int, dict]:
    cells = [f"c{i}" for i in range(len(header))]
    cursor.execute("SET LOCAL jit = off")  # compiling the conversion costs more than it saves, once
    cursor.execute("DROP TABLE IF EXISTS recon_csv_raw")
    cursor.execute(
        f"CREATE TEMP TABLE recon_csv_raw (n bigint GENERATED ALWAYS AS IDENTITY, "
        f"{', '.join(f'{c} text' for c in cells)}) ON COMMIT DROP"
    )
    delimiter = layout.delimiter.replace("'", "''")
    with cursor.copy(
        f"COPY recon_csv_raw ({', '.join(cells)}) FROM STDIN WITH (FORMAT csv, HEADER true, "
        f"DELIMITER '{delimiter}', ENCODING 'UTF8', FORCE_NOT_NULL ({', '.join(cells)}))"
    ) as copy:
        view = memoryview(content)
        for start in range(0, len(content), CHUNK):
            copy.write(view[start : start + CHUNK])
    column = {field: f"c{header.index(name)}" for field, name in layout.columns.items() if name in header}

    def raw_cell(field: str) -> str:
        return column.get(field, "''")

    def value(field: str) -> str:
        return f"btrim({column[field]}, {_WS})" if field in column else "''"

    # A blank row has a blank date, which `parse_date` refuses: the reader then decides (and skips it).
    maps = {}
    for field, parse in (
        ("settlement_date", lambda v: parse_date(v, layout.date_format)),
        ("currency", currency_code),
        ("record_type", lambda v: _record_type(v, layout)),
    ):
        cursor.execute(f"SELECT DISTINCT {raw_cell(field)} FROM recon_csv_raw LIMIT {MAX_DISTINCT + 1}")  # noqa: S608
        texts = [row[0] for row in cursor.fetchall()]
        if len(texts) > MAX_DISTINCT:
            raise _GiveUp
        try:
            maps[field] = {text: parse(text) for text in texts}
        except FieldError:
            raise _GiveUp from None
    cursor.execute("DROP TABLE IF EXISTS recon_csv_map")
    cursor.execute("CREATE TEMP TABLE recon_csv_map (kind text, text text, value text) ON COMMIT DROP")
    cursor.executemany(
        "INSERT INTO recon_csv_map VALUES (%s, %s, %s)",
        [(field, text, str(parsed)) for field, mapping in maps.items() for text, parsed in mapping.items()]
        + [("scale", code, str(10 ** CURRENCIES[code].exponent)) for code in set(maps["currency"].values())],
    )

    def cleaned(field: str) -> str:
        """`minor_units`' cleaning of the cell: no spaces, no thousands separators, a decimal point."""
        text = f"replace({value(field)}, ' ', '')"
        if layout.decimal == ",":
            return f"replace(replace({text}, '.', ''), ',', '.')"
        return f"replace({text}, ',', '')"

    def number(alias: str) -> str:
        # Nested in a CASE: PostgreSQL does not promise to test the pattern before casting otherwise.
        scale = " * e.value::numeric" if layout.major_units else ""
        return f"CASE WHEN x.{alias} ~ '{_NUMBER}' THEN CAST(x.{alias} AS numeric){scale} END"

    def minor(alias: str) -> str:
        """NULL where `minor_units` would refuse the cell: not whole in minor units, out of range."""
        return f"CASE WHEN y.{alias} = trunc(y.{alias}) AND abs(y.{alias}) < {_LIMIT} THEN CAST(y.{alias} AS bigint) END"

    reference = value("psp_reference")
    if layout.reference_by_type:
        cases = " ".join(
            f"WHEN '{kind}' THEN {value(field)}" for kind, field in layout.reference_by_type.items()
        )
        reference = f"COALESCE(NULLIF(CASE t.value {cases} ELSE '' END, ''), {value('psp_reference')})"
    raw = f"jsonb_object(%s::text[], ARRAY[{', '.join(cells)}])"  # twice as fast as jsonb_build_object
    cursor.execute("DROP TABLE IF EXISTS recon_line_stream")
    # Only generated column names and fixed fragments are interpolated; the header is a parameter.
    statement = f"""
        CREATE TEMP TABLE recon_line_stream ON COMMIT DROP AS
        SELECT r.n::integer AS row_number, t.value AS record_type, {reference} AS psp_reference,
               {value("merchant_reference")} AS merchant_reference, c.value AS currency,
               {minor("gross")} AS gross, CASE WHEN x.fee = '' THEN 0 ELSE abs({minor("fee")}) END AS fee,
               CAST(d.value AS date) AS settled_on, {value("payout_reference")} AS payout_reference,
               {raw} AS raw
        FROM recon_csv_raw r
        JOIN recon_csv_map d ON d.kind = 'settlement_date' AND d.text = {raw_cell("settlement_date")}
        JOIN recon_csv_map c ON c.kind = 'currency' AND c.text = {raw_cell("currency")}
        JOIN recon_csv_map t ON t.kind = 'record_type' AND t.text = {raw_cell("record_type")}
        JOIN recon_csv_map e ON e.kind = 'scale' AND e.text = c.value
        CROSS JOIN LATERAL (SELECT {cleaned("gross")} AS gross, {cleaned("fee")} AS fee OFFSET 0) x
        CROSS JOIN LATERAL (SELECT {number("gross")} AS gross, {number("fee")} AS fee OFFSET 0) y
        """  # noqa: S608
    cursor.execute(statement, [header])
    cursor.execute(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE (record_type <> '' AND (gross IS NULL OR fee IS NULL"
        " OR (record_type <> 'payout' AND psp_reference = '')))), COUNT(*) FILTER (WHERE record_type <> ''),"
        " (SELECT COUNT(*) FROM recon_csv_raw) FROM recon_line_stream"
    )
    rows, bad, kept, read = cursor.fetchone()
    if bad or rows != read or read > MAX_ROWS:
        raise _GiveUp
    cursor.execute(
        "SELECT DISTINCT ON (settled_on, currency) settled_on, currency, gross, payout_reference"
        " FROM recon_line_stream WHERE record_type = 'payout' ORDER BY settled_on, currency, row_number DESC"
    )
    payouts = {
        (day, currency): Payout(gross, reference) for day, currency, gross, reference in cursor.fetchall()
    }
    return kept, payouts
