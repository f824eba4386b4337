"""What one create+confirm writes in PostgreSQL: rows, HOT share, B-tree entries and WAL, per table.

    DATABASE_URL=postgres://…/<db> CACHE_URL=redis://…/<n> .venv/bin/python bench/confirm_writes.py
        [--confirms 100] [--rules]

In-process (Django's test client, as bench/intents_confirm.py's scenario 1) on DATABASE_URL
(created and migrated if missing), N create+confirm on a plain merchant (``--rules``: on one with
routing's and risk's rule sets active), then per confirm:
- per table: inserts, updates, HOT share (pg_stat_user_tables.n_tup_hot_upd);
- per index: B-tree leaf entries written, counted exactly from the WAL (pg_walinspect: the
  Btree INSERT_LEAF / INSERT_POST / SPLIT_L / SPLIT_R records naming the index's relfilenode),
  so partial indexes count only the rows their predicate admits;
- WAL bytes of this database's transactions (records of every transaction that touched one of
  its relations, commit records included; full-page images counted separately).
Also the PostgreSQL backend's CPU per confirm. Other databases' traffic on the server does not
enter the WAL figures (records are attributed by database oid and transaction id).

``BENCH_ROOT`` runs another checkout's code (an A/B against main: the same script, the old
code, its own database).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict

from inprocess_env import ROOT  # sets the environment before Django

CHUNK = 10  # confirms between two reads of the WAL
LEAF_RECORDS = ("INSERT_LEAF", "INSERT_POST", "SPLIT_L", "SPLIT_R")


def table_stats(cursor) -> dict[str, tuple[int, int, int]]:
    time.sleep(1.2)  # PostgreSQL 15 flushes a backend's counters at most once a second
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables")
    return {row[0]: row[1:] for row in cursor.fetchall()}


def relations(cursor) -> dict[int, tuple[str, str]]:
    """relfilenode → (table, index name or '' for the heap)."""
    cursor.execute(
        """SELECT c.relfilenode, t.relname, CASE WHEN c.relkind = 'i' THEN c.relname ELSE '' END
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_index x ON x.indexrelid = c.oid
           JOIN pg_class t ON t.oid = COALESCE(x.indrelid, c.oid)
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')"""
    )
    return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def wal_records(cursor, start: str, end: str, db_oid: int) -> list[tuple]:
    """(xid, resource manager, record type, length, fpi length, relfilenode or None) of the
    records between two LSNs that belong to this database's transactions."""
    cursor.execute(
        r"""WITH r AS (
              SELECT xid, resource_manager AS rm, record_type AS rt, record_length AS len,
                     fpi_length AS fpi,
                     substring(block_ref from 'rel \d+/(\d+)/\d+')::oid AS db,
                     substring(block_ref from 'rel \d+/\d+/(\d+)')::oid AS node
              FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn))
            SELECT xid, rm, rt, len, fpi, CASE WHEN db = %s THEN node END FROM r
            WHERE db = %s OR (xid <> 0 AND xid IN (SELECT xid FROM r WHERE db = %s))""",
        [start, end, db_oid, db_oid, db_oid],
    )
    return cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--confirms", type=int, default=100)
    parser.add_argument("--rules", action="store_true", help="a merchant with routing+risk rule sets")
    opts = parser.parse_args()

    from intents_confirm import _backend_cpu, ensure_database, path_cost, rule_set_tenant, setup

    ensure_database(os.environ["DATABASE_URL"])
    tenants = setup(1)
    from django.db import connection

    tenant = rule_set_tenant() if opts.rules else tenants["spread"][0]
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        db_oid = cursor.fetchone()[0]
    path_cost(tenant, 5)  # warm: caches, compiled rule sets, the connection
    n = opts.confirms
    with connection.cursor() as cursor:
        before = table_stats(cursor)
        cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
        start = cursor.fetchone()[0]
    cpu, cpu_confirms, records, trips = 0.0, 0, [], []
    # in chunks, reading each chunk's WAL at once: on a busy server the segments are recycled
    for chunk in [CHUNK] * (n // CHUNK) + ([n % CHUNK] if n % CHUNK else []):
        connection.ensure_connection()
        backend = connection.connection.info.backend_pid
        cpu0 = _backend_cpu(backend)
        trips.append(path_cost(tenant, chunk, warm=0)["round_trips"] * chunk)
        if connection.connection is not None and connection.connection.info.backend_pid == backend:
            cpu += _backend_cpu(backend) - cpu0  # (a reconnect inside the chunk: not counted)
            cpu_confirms += chunk
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
            end = cursor.fetchone()[0]
            records += wal_records(cursor, start, end, db_oid)
        start = end
    with connection.cursor() as cursor:
        after = table_stats(cursor)
        names = relations(cursor)
    cost = {"round_trips": sum(trips) / n}

    print(f"{n} create+confirm in-process ({'routing+risk rule sets' if opts.rules else 'plain merchant'}), "
          f"code at {ROOT}, database {connection.settings_dict['NAME']}")  # fmt: skip
    print(
        f"round trips {cost['round_trips']:.1f}, PostgreSQL backend CPU {cpu / max(cpu_confirms, 1) * 1000:.2f} ms per confirm "
        f"(over {cpu_confirms} confirms without a reconnect)"
    )
    entries: dict[tuple[str, str], int] = defaultdict(int)
    wal = fpi = 0
    for _xid, rm, rt, length, fpi_len, node in records:
        wal += length
        fpi += fpi_len or 0
        if rm == "Btree" and rt in LEAF_RECORDS and node in names:
            entries[names[node]] += 1
    per_table: dict[str, int] = defaultdict(int)
    for (table, _index), count in entries.items():
        per_table[table] += count
    print(f"{'table':<34} {'ins':>5} {'upd':>5} {'HOT %':>6} {'entries':>8}")
    for table in sorted(set(after) | set(per_table)):
        ins, upd, hot = (after[table][i] - before.get(table, (0, 0, 0))[i] for i in range(3))
        if not (ins or upd or per_table.get(table)):
            continue
        share = f"{hot / upd * 100:5.1f}" if upd else "    -"
        print(f"{table:<34} {ins / n:5.2f} {upd / n:5.2f} {share:>6} {per_table.get(table, 0) / n:8.2f}")
    print("per index (entries per confirm):")
    for (table, index), count in sorted(entries.items(), key=lambda kv: -kv[1]):
        print(f"  {table:<32} {index:<52} {count / n:5.2f}")
    print(f"B-tree entries per confirm, all tables: {sum(entries.values()) / n:.1f}")
    print(f"WAL per confirm: {wal / n / 1024:.1f} kB ({fpi / n / 1024:.1f} kB of it full-page images)")


if __name__ == "__main__":
    main()
