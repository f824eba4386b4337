"""The PostgreSQL export path of report types read from one queryset: every column is computed
by the database (unix seconds, ISO 8601 in the run's time zone, exact decimal strings), so the
worker only moves bytes. CSV is `COPY (SELECT …) TO STDOUT`; JSON Lines (a `json_build_object`
per row) and Parquet (typed columns, written as row groups) are fetched from a server-side
cursor, BATCH rows at a time (constant memory). The read runs on the worker's connection in autocommit, so the progress it
writes between batches is visible at once to the API and the admin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection
from django.db.models import BigIntegerField, BooleanField, F, Func, TextField, Value
from django.db.models.functions import Cast, Coalesce

from .metrics import json_text
from .report_types import Column, Context, ReportType

BATCH = 10_000


def supported(rtype: ReportType) -> bool:
    return rtype.queryset_of is not None and connection.vendor == "postgresql"


def _path(rtype: ReportType, name: str):
    path = rtype.paths.get(name, name)
    if "->" in path:
        field_path, *keys = path.split("->")
        return json_text(field_path, *keys)
    return F(path)


def _exponent_sql(currency_sql: str) -> str:
    from apps.core.currencies import CURRENCIES

    odd = {code: c.exponent for code, c in CURRENCIES.items() if c.exponent != 2}
    cases = " ".join(f"WHEN '{code}' THEN {e}" for code, e in sorted(odd.items()))
    return f"(CASE upper({currency_sql}) {cases} ELSE 2 END)"


class DecimalText(Func):
    """An amount in minor units as its exact major-unit string: round(a / 10^e, e)::text."""

    output_field = TextField()

    def as_sql(self, compiler, conn, **extra):
        (amount, a_params), (currency, c_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        e = _exponent_sql(currency)
        sql = f"COALESCE(round(({amount})::numeric / power(10::numeric, {e}), {e})::text, '')"
        return sql, [*a_params, *c_params, *c_params]


class Template(Func):
    def __init__(self, expression, template: str, output_field):
        super().__init__(expression, template=template, output_field=output_field)


def column_expression(rtype: ReportType, column: Column, *, csv: bool):
    source = _path(rtype, column.source)
    kind = column.kind
    if kind in ("amount", "int"):
        return Cast(source, BigIntegerField())
    if kind == "decimal":
        return DecimalText(source, _path(rtype, column.currency))
    if kind == "timestamp":
        return Template(source, "EXTRACT(EPOCH FROM %(expressions)s)::bigint", BigIntegerField())
    if kind == "local_time":
        # The session time zone is the run's (SET LOCAL TIME ZONE below): TZH:TZM is its offset.
        return Coalesce(
            Template(source, """to_char(%(expressions)s, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')""", TextField()),
            Value(""),
            output_field=TextField(),
        )
    if kind == "date":
        return Coalesce(
            Template(source, "to_char(%(expressions)s, 'YYYY-MM-DD')", TextField()),
            Value(""),
            output_field=TextField(),
        )
    if kind == "bool":
        if csv:
            return Template(
                source,
                "CASE WHEN %(expressions)s THEN 'true' WHEN NOT %(expressions)s THEN 'false' ELSE '' END",
                TextField(),
            )
        return Cast(source, BooleanField())
    if kind == "json":
        return Coalesce(Cast(source, TextField()), Value(""), output_field=TextField())
    return Coalesce(Cast(source, TextField()), Value(""), output_field=TextField())


class JsonRow(Func):
    """json_build_object('name', value, …)::text: keys in column order (jsonb would sort them)."""

    template = "json_build_object(%(expressions)s)::text"
    output_field = TextField()


def select_sql(rtype: ReportType, ctx: Context, names: list[str], *, csv: bool, as_json: bool = False):
    """The SELECT of the run's columns (aliases c0…), in the type's order."""
    qs = rtype.queryset_of(ctx).order_by(*rtype.order)
    exprs = [column_expression(rtype, rtype.column(n), csv=csv) for n in names]
    if as_json:
        pairs = [part for name, expr in zip(names, exprs, strict=True) for part in (Value(name), expr)]
        qs = qs.annotate(j=JsonRow(*pairs)).values_list("j")
    else:
        annotations = {f"c{i}": expr for i, expr in enumerate(exprs)}
        qs = qs.annotate(**annotations).values_list(*annotations)
    return qs.query.sql_with_params()


@contextlib.contextmanager
def read_connection(tz_name: str):
    """Django's own connection (so the worker's progress UPDATEs, in autocommit, are visible at
    once) with the session time zone set to the run's for the read, and reset afterwards."""
    from django.db import transaction

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        previous = cursor.fetchone()[0]
    # Inside a transaction already (tests, a caller's atomic block) a savepoint keeps a failed
    # read from aborting it; the worker itself runs in autocommit and opens none.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard:
            with raw.cursor() as cursor:
                cursor.execute("SELECT set_config('TimeZone', %s, false)", [tz_name])
            yield raw
    finally:
        with raw.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, false)", [previous])


def count(raw, rtype: ReportType, ctx: Context) -> int:
    qs = rtype.queryset_of(ctx).order_by()
    sql, params = qs.values("pk").query.sql_with_params()
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) q", params)  # noqa: S608 (ORM-compiled SQL, bound params)
        return cursor.fetchone()[0]


def copy_csv(raw, rtype: ReportType, ctx: Context, names: list[str], fh, progress) -> int:
    """The header, then COPY … TO STDOUT WITH CSV into `fh`; `progress(rows)` as data arrives
    (counted by line ends: exact unless a value holds a newline; the final count is COPY's)."""
    import csv as csv_module
    import io

    header = io.StringIO()
    csv_module.writer(header, lineterminator="\n").writerow(names)
    fh.write(header.getvalue().encode())
    sql, params = select_sql(rtype, ctx, names, csv=True)
    rows = reported = 0
    with raw.cursor() as cursor:
        sql = cursor.mogrify(sql, params)
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                data = bytes(chunk)
                fh.write(data)
                rows += data.count(b"\n")
                if rows - reported >= BATCH:
                    progress(rows)
                    reported = rows
        return cursor.rowcount if cursor.rowcount >= 0 else rows


def fetch_batches(raw, sql: str, params) -> Iterator[list[tuple]]:
    with raw.cursor() as client:
        sql = client.mogrify(sql, params)  # bound client-side, as Django binds
    # WITH HOLD: the cursor outlives the statement in autocommit (the task runs in no transaction).
    with raw.cursor(name="report_run_rows", withhold=True) as cursor:
        cursor.itersize = BATCH
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                return
            yield rows


def write_jsonl(raw, rtype, ctx, names, fh, progress) -> int:
    sql, params = select_sql(rtype, ctx, names, csv=False, as_json=True)
    written = 0
    for rows in fetch_batches(raw, sql, params):
        fh.write(("\n".join(r[0] for r in rows) + "\n").encode())
        written += len(rows)
        progress(written)
    return written


ROW_GROUP = 100_000  # rows per Parquet row group (batches are buffered as Arrow arrays up to it)


def write_parquet(raw, rtype, ctx, names, fh, progress, metadata: dict) -> int:
    """Parquet row groups from the server-side cursor, a batch at a time: each fetched batch
    becomes Arrow arrays at once (amounts int64 minor units, decimals exact strings, both
    computed by the database), buffered up to ROW_GROUP rows and written as one row group with
    `pyarrow.parquet.ParquetWriter`. The worker holds at most one row group of Arrow data and
    one batch of Python tuples, whatever the number of rows (bench/reporting.py measures it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .writers import arrow_schema

    schema = arrow_schema([rtype.column(n) for n in names], metadata)
    sql, params = select_sql(rtype, ctx, names, csv=False)
    pool = pa.default_memory_pool()
    writer = pq.ParquetWriter(fh, schema, compression="zstd")
    buffered: list = []
    pending = written = 0

    def flush() -> None:
        nonlocal buffered, pending
        if buffered:
            writer.write_table(pa.Table.from_batches(buffered, schema=schema), row_group_size=ROW_GROUP)
            buffered, pending = [], 0
            # Hand freed blocks back at once, so the peak stays that of one row group.
            pool.release_unused()

    try:
        for rows in fetch_batches(raw, sql, params):
            columns = zip(*rows, strict=True)
            arrays = [pa.array(values, type=f.type) for values, f in zip(columns, schema, strict=True)]
            buffered.append(pa.record_batch(arrays, schema=schema))
            pending += len(rows)
            written += len(rows)
            del rows, columns, arrays
            if pending >= ROW_GROUP:
                flush()
            progress(written)
        flush()
    finally:
        writer.close()
    return written
