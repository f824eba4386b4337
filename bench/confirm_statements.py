"""Where PostgreSQL's CPU goes in one create+confirm: per statement (and per commit), and per
trigger function.

    DATABASE_URL=postgres://…/<db> CACHE_URL=redis://…/<n> .venv/bin/python bench/confirm_statements.py
        [--confirms 100] [--rules]

In-process (as bench/confirm_writes.py), N create+confirm on a plain merchant (``--rules``: on
one with routing's and risk's rule sets). Each statement psycopg executes, and each commit, is
bracketed by two reads of the backend's ``/proc/<pid>/schedstat`` (CPU time on the server side in
nanoseconds, not the 10 ms ticks of /proc/<pid>/stat), so the server's CPU is attributed to the
statement that caused it; the deferred constraint triggers (the ledger's zero-sum check) show
under the commit or, in autocommit, under their statement. PL/pgSQL trigger functions' own time
comes from pg_stat_user_functions (``track_functions = pl`` for this session). pg_stat_statements
is not needed (it must be preloaded by the server). ``BENCH_ROOT`` runs another checkout's code.
"""

from __future__ import annotations

import argparse
import os
import re
import time
import uuid
from collections import defaultdict
from pathlib import Path

from inprocess_env import ROOT  # sets the environment before Django

_TABLE = re.compile(r'(INSERT INTO|UPDATE|DELETE FROM|FROM|JOIN)\s+"?([a-z_]+)"?')


def _schedstat(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def label(sql: str) -> str:
    """A statement's kind and the tables it names (its text varies in parameters only)."""
    sql = " ".join(str(sql).split())
    verb = sql.split(" ", 1)[0].upper()
    tables = []
    for kind, table in _TABLE.findall(sql):
        name = f"{'+' if kind in ('INSERT INTO', 'UPDATE', 'DELETE FROM') else ''}{table}"
        if name not in tables and table not in ("i", "c", "r"):
            tables.append(name)
    return f"{verb} {' '.join(tables[:9])}"[:110]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--confirms", type=int, default=100)
    parser.add_argument("--rules", action="store_true")
    parser.add_argument(
        "--without-triggers",
        action="store_true",
        help="session_replication_role = replica: no trigger fires, foreign-key checks included — "
        "what they cost, by difference (a measurement only: the side tables and checks are skipped)",
    )
    opts = parser.parse_args()

    from intents_confirm import ensure_database, rule_set_tenant, setup

    ensure_database(os.environ["DATABASE_URL"])
    tenants = setup(1)
    import psycopg
    from django.db import connection
    from django.test import Client

    secret, pm = rule_set_tenant() if opts.rules else tenants["spread"][0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}

    def confirm():
        resp = client.post("/v1/payment_intents", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
        assert resp.status_code == 200, resp.content[:300]

    for _ in range(5):
        confirm()
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SET track_functions = 'pl'")
        if opts.without_triggers:
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.1)

    def functions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT funcname, calls, self_time FROM pg_stat_user_functions")
            return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}

    funcs_before = functions()
    per: dict[str, list] = defaultdict(lambda: [0, 0])  # label → [count, ns]
    real_execute, real_commit = psycopg.Cursor.execute, psycopg.Connection.commit

    def execute(self, query, *args, **kwargs):
        text = query.as_string(self) if hasattr(query, "as_string") else query
        t0 = _schedstat(pid)
        try:
            return real_execute(self, query, *args, **kwargs)
        finally:
            entry = per[label(text if isinstance(text, str) else text.decode())]
            entry[0] += 1
            entry[1] += _schedstat(pid) - t0

    def commit(self):
        t0 = _schedstat(pid)
        try:
            return real_commit(self)
        finally:
            per["COMMIT"][0] += 1
            per["COMMIT"][1] += _schedstat(pid) - t0

    n = opts.confirms
    total0 = _schedstat(pid)
    psycopg.Cursor.execute, psycopg.Connection.commit = execute, commit
    try:
        for _ in range(n):
            confirm()
    finally:
        psycopg.Cursor.execute, psycopg.Connection.commit = real_execute, real_commit
    total = _schedstat(pid) - total0
    assert connection.connection.info.backend_pid == pid, "reconnected: the figures would mix backends"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.1)
    funcs_after = functions()

    print(f"{n} create+confirm in-process ({'routing+risk rule sets' if opts.rules else 'plain merchant'}), "
          f"code at {ROOT}, database {connection.settings_dict['NAME']}")  # fmt: skip
    print(
        f"PostgreSQL backend CPU per confirm: {total / n / 1e6:.2f} ms (schedstat), of which per statement:"
    )
    attributed = 0
    for name, (count, ns) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        attributed += ns
        print(f"  {ns / n / 1e3:7.0f} µs  x{count / n:4.1f}  {name}")
    print(f"  {(total - attributed) / n / 1e3:7.0f} µs  between statements (idle wake-ups, stats)")
    print("trigger functions (PL/pgSQL self time per confirm):")
    for name, (calls, ms) in sorted(funcs_after.items(), key=lambda kv: -kv[1][1]):
        c0, m0 = funcs_before.get(name, (0, 0.0))
        if calls - c0:
            print(f"  {(ms - m0) / n * 1000:7.0f} µs  x{(calls - c0) / n:4.1f}  {name}")


if __name__ == "__main__":
    main()
