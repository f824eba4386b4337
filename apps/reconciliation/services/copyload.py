"""The fast ingest path of an acquirer CSV on PostgreSQL: the file's bytes go through `COPY` as
they are, in chunks (PostgreSQL's own CSV reader), into a staging table of text cells, and every
value is converted and checked set-based in SQL — no Python per row — by the one INSERT … SELECT
that writes the lines (their batches' sums read back by the file's index).

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
import re
from dataclasses import dataclass
from typing import BinaryIO

import psycopg
from django.db import DatabaseError, transaction

from apps.core.currencies import CURRENCIES

from ..models import SettlementFile, SettlementLine
from ..parsers.base import FieldError, currency_code, parse_date
from ..parsers.csvfiles import MAX_ROWS, Layout

MAX_COLUMNS = 200
MAX_DISTINCT = 5_000  # distinct dates / currencies / record types parsed in Python
CHUNK = 1 << 20
# str.strip()'s ASCII whitespace. PostgreSQL's E-strings know \t \n \r \f but not \v (an unknown
# escape is the letter itself, so "\v" trimmed the letter v): vertical tab is \x0b.
_WS = "E' \\t\\n\\r\\f\\x0b'"
# A plain decimal number, at most 36 digits (more is refused, and the reader decides). Its length
# is checked apart: bounded repeats ({1,18}) made PostgreSQL's regex engine three times slower.
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_NUMBER_MAX_LENGTH = 37
# The cells most amounts are: digits, at most one decimal separator (`{sep}`), a minus sign, no
# blanks or thousands separators, few enough digits for a bigint. They are read with integer
# operations from the cell as it is, without cleaning it or going through `numeric` (which cost
# most of the conversion); any other cell takes the general reading (`_NUMBER`, `numeric`).
_PLAIN = "^-?[0-9]+({sep}[0-9]*)?$"
_PLAIN_MAX_LENGTH = 19
_LIMIT = 2**62
_ROW_NUMBER_CACHE = 100_000


@dataclass(frozen=True)
class Payout:
    gross: int
    payout_reference: str


class _GiveUp(Exception):
    pass


def _header(head: bytes, layout: Layout) -> list[str] | None:
    """The header of the file's first chunk `head` (None: the reader decides)."""
    end = head.find(b"\n")
    if end < 0 and len(head) >= CHUNK:
        return None
    first = head if end < 0 else head[:end]
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


@dataclass(frozen=True)
class Loaded:
    rows: int  # rows read, payouts included (blank rows excluded)
    sums: dict  # batch id → (gross, fees, lines)
    references: dict  # batch id → the lines' payout reference, for batches without a payout row
    header: list[str]  # the header as read (stripped): the order of each line's cells


def stream_acquirer_copy(cursor, stream: BinaryIO, layout: Layout, *, file_id: int, batches) -> Loaded | None:
    """Loads the file's lines straight into the lines table, reading `stream` in chunks;
    `batches(keys, payouts)` creates the batches of the (day, currency) keys and answers their
    ids. Returns None (having written nothing: its own savepoint) to let the row-by-row reader decide."""
    if layout.derive is not None or layout.bank:
        return None
    stream.seek(0)
    head = stream.read(CHUNK)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    header = _header(head, layout)
    if header is None:
        return None
    try:
        with transaction.atomic():
            return _load(cursor, head, stream, layout, header, file_id, batches)
    except (_GiveUp, DatabaseError, psycopg.Error):  # COPY's errors come unwrapped by Django
        return None


def _copy_raw(cursor, head: bytes, stream: BinaryIO, layout: Layout, cells: list[str]) -> None:
    cursor.execute("SET LOCAL jit = off")  # compiling the conversion costs more than it saves, once
    cursor.execute("DROP TABLE IF EXISTS recon_csv_raw")
    # The row numbers: the staging table's own identity, its sequence private to this session (a
    # temporary table), so caching values changes no numbering (still 1, 2, 3 … in the order COPY
    # reads the rows) and spares a sequence update per row: a quarter of the COPY's CPU.
    cursor.execute(
        f"CREATE TEMP TABLE recon_csv_raw (n bigint GENERATED ALWAYS AS IDENTITY (CACHE {_ROW_NUMBER_CACHE}), "
        f"{', '.join(f'{c} text' for c in cells)}) ON COMMIT DROP"
    )
    delimiter = layout.delimiter.replace("'", "''")
    with cursor.copy(
        f"COPY recon_csv_raw ({', '.join(cells)}) FROM STDIN WITH (FORMAT csv, HEADER true, "
        f"DELIMITER '{delimiter}', ENCODING 'UTF8', FORCE_NOT_NULL ({', '.join(cells)}))"
    ) as copy:
        copy.write(head)
        while chunk := stream.read(CHUNK):
            copy.write(chunk)


@dataclass
class _Keys:
    """The file's distinct (date, currency, record type) cells, read by the reader's own functions."""

    types: dict  # record type cell → our type
    days: dict  # (date cell, currency cell) → (day, currency)
    line_keys: set
    payout_keys: set
    line_rows: int  # rows that are lines (not payouts, not skipped)
    # (date cell, currency cell, record type cell) → the greatest payout reference of those rows
    references: dict
    kept: int  # rows not skipped
    rows: int  # rows read


def _keys(cursor, layout: Layout, column: dict) -> _Keys:
    date, currency, kind = (column.get(f, "''") for f in ("settlement_date", "currency", "record_type"))
    reference = f"btrim({column['payout_reference']}, {_WS})" if "payout_reference" in column else "''"
    # The batches' payout references come with the counts: one pass over the rows, not two.
    cursor.execute(
        f"SELECT {date}, {currency}, {kind}, COUNT(*), MAX({reference}) FROM recon_csv_raw"  # noqa: S608
        f" GROUP BY 1, 2, 3 LIMIT {MAX_DISTINCT + 1}"
    )
    groups = cursor.fetchall()
    if len(groups) > MAX_DISTINCT:
        raise _GiveUp
    keys = _Keys({}, {}, set(), set(), 0, {}, 0, 0)
    # A blank row has a blank date, which `parse_date` refuses: the reader then decides (and skips it).
    try:
        for date_text, currency_text, type_text, count, greatest in groups:
            keys.references[(date_text, currency_text, type_text)] = greatest
            kind = keys.types.setdefault(type_text, _record_type(type_text, layout))
            keys.rows += count
            if not kind:
                continue
            keys.kept += count
            key = (date_text, currency_text)
            if key not in keys.days:
                keys.days[key] = (parse_date(date_text, layout.date_format), currency_code(currency_text))
            if kind == "payout":
                keys.payout_keys.add(keys.days[key])
            else:
                keys.line_keys.add(keys.days[key])
                keys.line_rows += count
    except FieldError:
        raise _GiveUp from None
    if keys.rows > MAX_ROWS:
        raise _GiveUp
    return keys


def _load(
    cursor, head: bytes, stream: BinaryIO, layout: Layout, header: list[str], file_id: int, batches
) -> Loaded:
    cells = [f"c{i}" for i in range(len(header))]
    _copy_raw(cursor, head, stream, layout, cells)
    column = {field: f"c{header.index(name)}" for field, name in layout.columns.items() if name in header}
    keys = _keys(cursor, layout, column)
    convert = _Conversion(layout, column)
    cursor.execute("DROP TABLE IF EXISTS recon_csv_key")
    cursor.execute(
        "CREATE TEMP TABLE recon_csv_key (date_text text, currency_text text, batch_id bigint, settled_on date,"
        " currency text, exponent integer, scale numeric) ON COMMIT DROP"
    )
    exponents = {key: CURRENCIES[key[1]].exponent if layout.major_units else 0 for key in keys.days.values()}
    cursor.executemany(
        "INSERT INTO recon_csv_key VALUES (%s, %s, NULL, %s, %s, %s, %s)",
        [(d, c, *key, exponents[key], 10 ** exponents[key]) for (d, c), key in keys.days.items()],
    )
    cursor.execute("DROP TABLE IF EXISTS recon_csv_type")
    cursor.execute("CREATE TEMP TABLE recon_csv_type (text text, value text) ON COMMIT DROP")
    cursor.executemany("INSERT INTO recon_csv_type VALUES (%s, %s)", list(keys.types.items()))
    payouts = _payouts(cursor, convert, keys)
    batch_ids = batches(keys.line_keys | keys.payout_keys, payouts)
    cursor.executemany(
        "UPDATE recon_csv_key SET batch_id = %s WHERE settled_on = %s AND currency = %s",
        [(batch_id, day, currency) for (day, currency), batch_id in batch_ids.items()],
    )
    table = SettlementLine._meta.db_table
    raw = f"ARRAY[{', '.join(f'r.{c}' for c in cells)}]"  # the raw row: its cells, the header on the file
    # A cell the reader would refuse converts to NULL, which the lines' NOT NULL columns refuse:
    # the statement fails, its savepoint rolls back, and the reader decides. (Checking the cells
    # first cost a second pass over the file.) Only generated column names and fixed fragments
    # are interpolated.
    cursor.execute(
        f"""
        INSERT INTO {table} (file_id, batch_id, merchant_id, connector_code, livemode, row_number, record_type,
                             psp_reference, merchant_reference, currency, gross, fee, settled_on, cells, edited)
        SELECT %s, r.k_batch, f.merchant_id, f.connector_code, f.livemode, r.n, r.t_value,
               NULLIF({convert.reference()}, ''), {convert.value("merchant_reference")}, r.k_currency,
               {convert.minor("gross")}, {convert.fee()}, r.k_day, {raw}, '{{}}'::jsonb
        FROM {convert.rows("t.value NOT IN ('payout', '')")}
        JOIN {SettlementFile._meta.db_table} f ON f.id = %s
        """,  # noqa: S608
        [file_id, file_id],
    )
    if cursor.rowcount != keys.line_rows:
        raise _GiveUp
    # The batches' sums read back through the (file, row_number) index: cheaper than RETURNING
    # every row into a CTE to add them up (its tuplestore cost a tenth of the load).
    cursor.execute(
        f"SELECT batch_id, SUM(gross), SUM(fee), COUNT(*) FROM {table} WHERE file_id = %s GROUP BY batch_id",  # noqa: S608
        [file_id],
    )
    sums = {batch_id: (int(gross), int(fee), n) for batch_id, gross, fee, n in cursor.fetchall()}
    return Loaded(keys.kept, sums, _references(cursor, convert, keys, payouts, batch_ids), header)


class _Conversion:
    """SQL reading the cells of `recon_csv_raw r` as the row reader reads them."""

    def __init__(self, layout: Layout, column: dict):
        self.layout, self.column = layout, column

    def cell(self, field: str, alias: str = "r") -> str:
        return f"{alias}.{self.column[field]}" if field in self.column else "''"

    def value(self, field: str, alias: str = "r") -> str:
        return f"btrim({alias}.{self.column[field]}, {_WS})" if field in self.column else "''"

    def _cleaned(self, field: str) -> str:
        """`minor_units`' cleaning of the cell: no spaces, no thousands separators, a decimal point."""
        text = f"replace({self.value(field, 'x')}, ' ', '')"
        if self.layout.decimal == ",":
            return f"replace(replace({text}, '.', ''), ',', '.')"
        return f"replace({text}, ',', '')"

    def _number(self, field: str) -> str:
        """The general reading of the cell (of `x`), scaled to minor units, as `numeric` (NULL: refused). The
        number is nested in a CASE: PostgreSQL does not promise to test the pattern before casting
        otherwise."""
        cleaned = self._cleaned(field)
        return (
            f"CASE WHEN length({cleaned}) <= {_NUMBER_MAX_LENGTH} AND {cleaned} ~ '{_NUMBER}'"
            f" THEN CAST({cleaned} AS numeric) * x.k_scale END"
        )

    def rows(self, where: str) -> str:
        """`FROM` the rows (`where`, on `t` the record type and `k` the key of the row) as `r`: the
        cells, the key's `k_batch`, `k_day`, `k_currency`, the type's `t_value`, and each amount read
        once: a plain cell's decimals (`d_gross`, `d_fee`; NULL: not plain), then its minor units
        as an integer (`i_…`) when it has no more decimals than the currency, or else the general
        reading (`y_…`, numeric). Nested subqueries (OFFSET 0 keeps the planner from inlining
        them, which would compute a cell twice), not a LATERAL per row: re-scanning that for each
        of a million rows cost a tenth of the load."""
        sep = self.layout.decimal
        plain = _PLAIN.format(sep=re.escape(sep))
        decimals = ", ".join(
            f"CASE WHEN length({self.cell(f)}) <= {_PLAIN_MAX_LENGTH} AND {self.cell(f)} ~ '{plain}'"
            f" THEN CASE strpos({self.cell(f)}, '{sep}') WHEN 0 THEN 0"
            f" ELSE length({self.cell(f)}) - strpos({self.cell(f)}, '{sep}') END END AS d_{f}"
            for f in ("gross", "fee")
        )
        numbers = ", ".join(
            f"CASE WHEN x.d_{f} <= x.k_exponent THEN CAST(replace({self.cell(f, 'x')}, '{sep}', '')"
            f" || repeat('0', x.k_exponent - x.d_{f}) AS bigint) END AS i_{f}, "
            f"CASE WHEN x.d_{f} IS NULL OR x.d_{f} > x.k_exponent THEN {self._number(f)} END AS y_{f}"
            for f in ("gross", "fee")
        )
        return f"""(SELECT x.*, {numbers} FROM (
            SELECT r.*, k.batch_id AS k_batch, k.settled_on AS k_day, k.currency AS k_currency,
                   k.exponent AS k_exponent, k.scale AS k_scale, t.value AS t_value, {decimals}
            FROM recon_csv_raw r
            JOIN recon_csv_key k ON k.date_text = {self.cell("settlement_date")}
                 AND k.currency_text = {self.cell("currency")}
            JOIN recon_csv_type t ON t.text = {self.cell("record_type")}
            WHERE {where} OFFSET 0) x OFFSET 0) r"""  # noqa: S608

    @staticmethod
    def minor(field: str) -> str:
        """NULL where `minor_units` would refuse the cell: not whole in minor units, out of range."""
        whole, number = f"r.i_{field}", f"r.y_{field}"
        return (
            f"CASE WHEN {whole} IS NOT NULL THEN CASE WHEN abs({whole}) < {_LIMIT} THEN {whole} END"
            f" WHEN {number} = trunc({number}) AND abs({number}) < {_LIMIT} THEN CAST({number} AS bigint) END"
        )

    def fee(self) -> str:
        """An empty (blank) fee cell reads 0."""
        return (
            f"CASE WHEN r.i_fee IS NULL AND {self.value('fee')} = '' THEN 0 ELSE abs({self.minor('fee')}) END"
        )

    def reference(self) -> str:
        if not self.layout.reference_by_type:
            return self.value("psp_reference")
        cases = " ".join(
            f"WHEN '{kind}' THEN {self.value(field)}" for kind, field in self.layout.reference_by_type.items()
        )
        return f"COALESCE(NULLIF(CASE r.t_value {cases} ELSE '' END, ''), {self.value('psp_reference')})"


def _payouts(cursor, convert: _Conversion, keys: _Keys) -> dict:
    """The payout row of each (day, currency), the last one read (as the reader keeps it)."""
    if "payout" not in keys.types.values():
        return {}
    cursor.execute(
        f"""SELECT r.k_day, r.k_currency, {convert.minor("gross")}, {convert.fee()}, {convert.value("payout_reference")}
            FROM {convert.rows("t.value = 'payout'")} ORDER BY r.n"""  # noqa: S608
    )
    payouts = {}
    for day, currency, gross, fee, reference in cursor.fetchall():
        if gross is None or fee is None:  # the reader refuses a payout row's bad fee as any row's
            raise _GiveUp
        payouts[(day, currency)] = Payout(gross, reference)
    return payouts


def _references(cursor, convert: _Conversion, keys: _Keys, payouts: dict, batch_ids: dict) -> dict:
    """Batches without a payout row take their lines' payout reference: the greatest (compared by
    PostgreSQL, as the staging path compares them) of their groups of line rows."""
    wanted = {batch_ids[key] for key in keys.line_keys - set(payouts)}
    if not wanted or "payout_reference" not in convert.column:
        return {}
    pairs = [
        (batch_ids[keys.days[(date_text, currency_text)]], greatest)
        for (date_text, currency_text, type_text), greatest in keys.references.items()
        if keys.types[type_text] not in ("payout", "")
        and batch_ids[keys.days[(date_text, currency_text)]] in wanted
    ]
    cursor.execute(
        "SELECT b, MAX(r) FROM unnest(%s::bigint[], %s::text[]) AS u(b, r) GROUP BY b",
        [[b for b, _ in pairs], [r for _, r in pairs]],
    )
    return dict(cursor.fetchall())
