"""Several writes of one transaction sent to PostgreSQL as one data-modifying CTE (issue 21).

The hot money path (create+confirm, recording a provider's answer) writes six to ten rows per
transaction; one statement each costs a round trip and a pass through Django's SQL compiler.
``WriteBatch`` takes the same unsaved or changed model instances the ORM would save and sends
them as ``WITH p0 AS (INSERT … RETURNING id), p1 AS (UPDATE … RETURNING id), … SELECT``: one
round trip, no compiler. Values go through each field's ``pre_save``/``get_db_prep_save``
(auto_now, JSON adaptation) exactly as ``Model.save`` does, so the rows are the ORM's rows;
tests/intents/test_hot_sql.py compares them. Constraints are untouched: unique keys and checks
hold per row, deferred constraint triggers (the ledger's zero sum) still fire at commit.

A part may take another part's new id (``ref``): a charge its new intent's, postings their
journal entry's. Rows of a multi-row INSERT come back in VALUES order (PostgreSQL's executor
inserts and returns them in order; Django's ``bulk_create`` relies on the same).
PostgreSQL only: callers keep the ORM path on other databases (``hot_sql_enabled``).

The hot statements run prepared (``hot_cursor``): Django's psycopg backend binds parameters on
the client and prepares nothing, so PostgreSQL parses, analyses and plans each big CTE on every
execution. ``hot_cursor`` binds on the server and prepares the statement on its first run on a
connection (psycopg keeps the prepared statements per connection, pooled or persistent), so
later runs skip parse, analysis and, once PostgreSQL settles on a generic plan, planning.
Django's other statements stay client-bound (its ``Cursor`` never prepares), so the
connection's ``prepare_threshold`` (settings: ``DATABASE_PREPARE``) only governs these;
``DATABASE_PREPARE=false`` turns it off for a pooler that does not keep one server session per
client (pgbouncer in transaction mode before 1.21).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction


@functools.cache
def _prepared_cursor_class():
    # imported here: the module loads on SQLite too (the embedded demo), where it is never used
    from django.db.backends.postgresql.base import ServerBindingCursor

    from apps.core.db.queries import with_cached_queries

    # with_cached_queries: these statements are the long ones (past psycopg's 4,096-byte /
    # 50-parameter conversion cache); built on Django's class directly, they were converted
    # (a regex pass over the text) again on every execution, ~1.5 ms per confirm (issue 21).
    class PreparedCursor(with_cached_queries(ServerBindingCursor)):
        """Server-side binding, each statement prepared on its first execution on the connection
        (psycopg caches up to ``prepared_max`` per connection, keyed by text and parameter types)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # psycopg leaves `_query` unset on this path; Django's query log reads it
            # (`last_executed_query`), so debug logging and CaptureQueriesContext keep working.
            self._query = pgq
            super()._send_query_prepared(name, pgq, binary=binary)

    return PreparedCursor


def _default():
    """The default connection itself: ``django.db.connection`` is a proxy whose every attribute
    goes through a thread-local lookup (asgiref's Local), per field and per value on this path
    (issue 21); fetched once per statement or row instead."""
    return connections[DEFAULT_DB_ALIAS]


@contextlib.contextmanager
def hot_cursor() -> Iterator:
    """A cursor for the hot path's fixed statements: Django's wrapper (query logging, error
    translation, the broken-transaction check) around a prepared, server-binding psycopg
    cursor. Django's own client-binding cursor when the connection prepares nothing (its
    ``prepare_threshold`` is None: Django's default, kept with ``DATABASE_PREPARE=false``).
    Only for SQL whose parameters PostgreSQL can type from their place (no bare ``SELECT %s``)."""
    conn = _default()
    conn.ensure_connection()
    raw = conn.connection
    # An execute wrapper may rewrite the SQL: pghistory's context (the back office and the
    # configuration API, apps/audit/middleware.py) prepends a `SELECT set_config(…);`, two
    # commands that server-side binding refuses. Such statements go client-bound, unprepared.
    if getattr(raw, "prepare_threshold", None) is None or conn.execute_wrappers:
        with conn.cursor() as cursor:
            yield cursor
        return
    cursor = conn._prepare_cursor(_prepared_cursor_class()(raw))
    try:
        yield cursor
    finally:
        cursor.close()


def hot_sql_enabled() -> bool:
    """``INTENTS_HOT_SQL`` (default: on for PostgreSQL). SQLite (the embedded demo) never."""
    if connection.vendor != "postgresql":
        return False
    return bool(getattr(settings, "INTENTS_HOT_SQL", True))


@contextlib.contextmanager
def one_statement_transaction() -> Iterator[None]:
    """The transaction of a hot-path step whose writes are one ``WriteBatch`` statement.

    In autocommit that statement is its own transaction (atomic, every constraint and deferred
    trigger checked at its end), so PostgreSQL needs no BEGIN and COMMIT around it: two round
    trips saved. Inside an open transaction (a test's) it is ``atomic(durable=True)``, which
    also refuses to run nested in a caller's transaction, as the ORM path does. Only for blocks
    whose reads need no snapshot shared with the write and whose only write is that statement."""
    if connection.in_atomic_block or not hot_sql_enabled():
        with transaction.atomic(durable=True):
            yield
        return
    yield


# The statement being collected in this context (``collecting``): writers further down the call
# (a hook's record, the vault's audit entry) add their rows to it instead of writing at once.
_COLLECTOR: ContextVar = ContextVar("apps.core.sql.collector", default=None)


@contextlib.contextmanager
def collecting(sink) -> Iterator[None]:
    """While the block runs, ``insert_now_or_later`` hands rows to ``sink`` (its
    ``insert_later(obj, refs=…, then=…)``), which writes them in its own statement."""
    token = _COLLECTOR.set(sink)
    try:
        yield
    finally:
        _COLLECTOR.reset(token)


def insert_now_or_later(obj, *, refs: dict | None = None, then: Callable[[], None] | None = None) -> None:
    """INSERTs ``obj`` now (``save(force_insert=True)``), or, while a caller collects its
    transaction's writes (``collecting``), as part of that caller's one statement — in the same
    transaction either way. ``refs``: column attname → the model whose row, new in that
    statement, the column points at (its id is not known yet). ``then`` runs once ``obj`` has
    its primary key (at once, or after the statement)."""
    sink = _COLLECTOR.get()
    if sink is None:
        obj.save(force_insert=True)
        if then is not None:
            then()
        return
    sink.insert_later(obj, refs=refs or {}, then=then)


@dataclass
class Ref:
    """A column whose value is another part's new id: ``(SELECT id FROM <part>)``."""

    part: str


@dataclass
class _Part:
    name: str
    sql: str
    params: list
    objs: list = field(default_factory=list)  # instances whose pk the RETURNING ids set
    returning: bool = True


_QUOTED: dict[str, str] = {}


def _quote(name: str) -> str:
    # Memoized: called per column of every row, and each ``connection.ops`` goes through the
    # connection proxy's thread-local lookup (~2 ms of CPU per confirm, issue 21).
    quoted = _QUOTED.get(name)
    if quoted is None:
        quoted = _QUOTED[name] = connection.ops.quote_name(name)
    return quoted


class WriteBatch:
    """Collects INSERT/UPDATE parts; ``execute()`` runs them as one statement (inside the
    caller's transaction) and sets the new primary keys on the inserted instances."""

    def __init__(self) -> None:
        self.parts: list[_Part] = []

    def __bool__(self) -> bool:
        return bool(self.parts)

    def _name(self) -> str:
        return f"w{len(self.parts)}"

    def insert(self, objs: list, *, refs: dict[str, Ref] | None = None) -> str:
        """INSERT of unsaved instances of one model (one multi-row VALUES); returns the part's
        name for ``Ref``. ``refs``: column attname → the part whose single new id it takes."""
        objs = list(objs)
        model = type(objs[0])
        refs = refs or {}
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        conn = _default()
        rows, params = [], []
        for obj in objs:
            fill = getattr(obj, "fill_generated", None)
            if fill is not None:
                fill()
            cells = []
            for f in fields:
                if f.attname in refs:
                    cells.append(f"(SELECT id FROM {refs[f.attname].part})")  # noqa: S608 (a part name)
                    continue
                value = f.pre_save(obj, add=True)
                cells.append("%s")
                params.append(f.get_db_prep_save(value, conn))
            rows.append(f"({', '.join(cells)})")
        columns = ", ".join(_quote(f.column) for f in fields)
        pk = _quote(model._meta.pk.column)
        name = self._name()
        table = _quote(model._meta.db_table)
        # identifiers from the model's meta, values as parameters
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} RETURNING {pk}"  # noqa: S608
        self.parts.append(_Part(name, sql, params, objs))
        return name

    def update(self, obj, fields: list[str]) -> str:
        """UPDATE of the named fields of a saved instance (``updated_at`` is added, as
        ``save(update_fields=…)`` with an auto_now field does: its ``pre_save`` runs)."""
        meta = obj._meta
        names = list(dict.fromkeys(fields))
        for f in meta.concrete_fields:
            if getattr(f, "auto_now", False) and f.name not in names:
                names.append(f.name)
        conn = _default()
        sets, params = [], []
        for name in names:
            f = meta.get_field(name)
            value = f.pre_save(obj, add=False)
            sets.append(f"{_quote(f.column)} = %s")
            params.append(f.get_db_prep_save(value, conn))
        params.append(obj.pk)
        pk = _quote(meta.pk.column)
        name = self._name()
        sql = f"UPDATE {_quote(meta.db_table)} SET {', '.join(sets)} WHERE {pk} = %s RETURNING {pk}"  # noqa: S608
        self.parts.append(_Part(name, sql, params))
        return name

    def raw(self, sql: str, params: list, *, returning: bool = True) -> str:
        """A part written by its owner (e.g. the ledger's postings joined to their accounts);
        ``sql`` may use ``(SELECT id FROM <part>)`` of earlier parts. With ``returning``, it
        must end in ``RETURNING`` one column; ``execute`` gives those values by part name."""
        name = self._name()
        self.parts.append(_Part(name, sql, list(params), returning=returning))
        return name

    def execute(self) -> dict[str, list]:
        """Runs every part as one statement; returns each returning part's values by name."""
        if not self.parts:
            return {}
        withs, params = [], []
        for part in self.parts:
            withs.append(f"{part.name} AS ({part.sql})")
            params.extend(part.params)
        returning = [p for p in self.parts if p.returning]
        select = ", ".join(f"ARRAY(SELECT * FROM {p.name})" for p in returning) or "1"  # noqa: S608
        sql = f"WITH {', '.join(withs)} SELECT {select}"
        with hot_cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        out: dict[str, list] = {}
        alias = _default().alias
        for part, values in zip(returning, row or (), strict=False):
            out[part.name] = list(values)
            for obj, pk in zip(part.objs, values if part.objs else (), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = alias
        self.parts = []
        return out


_CONVERTERS: dict[type, list] = {}


def select_columns(model, alias: str) -> str:
    """The model's concrete columns, qualified by `alias`, in field order (for `instance_from`)."""
    return ", ".join(f"{alias}.{_quote(f.column)}" for f in model._meta.concrete_fields)


def instance_from(model, row, offset: int = 0):
    """The instance of `model` whose `select_columns` start at `row[offset]`, with each field's
    database converters applied (JSON, decimals) as the ORM's compiler does. Returns the
    instance and the offset after its columns."""
    fields = model._meta.concrete_fields
    conn = _default()
    converters = _CONVERTERS.get(model)
    if converters is None:
        converters = []
        for f in fields:
            col = f.get_col(model._meta.db_table)
            converters.append(conn.ops.get_db_converters(col) + f.get_db_converters(conn))
        _CONVERTERS[model] = converters
    values = []
    for i, funcs in enumerate(converters):
        value = row[offset + i]
        for func in funcs:
            value = func(value, fields[i], conn)
        values.append(value)
    return model.from_db(conn.alias, None, values), offset + len(fields)
