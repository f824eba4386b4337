"""Reconciliation at scale, in one run on PostgreSQL:

1. ingest of N settlement lines (a generated sandbox CSV through `settlement_file_ingest`: parse,
   validate, COPY into the staging table, INSERT … SELECT) in lines/s, beside a raw COPY of the
   same rows into an unindexed table;
2. a reconciliation pass over N ledger items x N lines (the matching SQL of a run, items seeded
   straight into `reconciliation_ledgeritem`), beside a bare SQL hash join of the same two tables
   on the reference, measured in the same run;
3. the process's peak RSS after each size (ru_maxrss), for sizes 100 k and N.

Each figure is given twice: wall time, and the CPU time of the database backend (read from
/proc/<backend pid>/stat, so the server must run on this machine). On a shared machine the wall
times swing with the load; the CPU times do not, and the ratios are computed from both. Parallel
query is off for the whole session (both the pass and the bare join), so the backend's CPU time
is all of the work.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ch_recon_bench .venv/bin/python bench/reconciliation.py \\
        [--rows 1000000] [--sizes 100000] [--steps] [--ingest-only]

`--ingest-only` measures step 1 alone (and the Python process's own CPU time beside the backend's).

The database is created and migrated if missing; its reconciliation and ledger tables are emptied.
One line in 100 differs by 3 minor units, so the pass writes about N/100 discrepancies.
"""

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=1_000_000)
parser.add_argument("--sizes", default="100000", help="smaller sizes measured first (comma separated)")
parser.add_argument("--steps", action="store_true", help="print the time of each step of the pass")
parser.add_argument("--ingest-only", action="store_true", help="measure step 1 (ingest, raw COPY) only")
args = parser.parse_args()

url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ch_recon_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CACHE_URL", "locmemcache://bench")
parts = urlsplit(url)

import psycopg  # noqa: E402

with psycopg.connect(f"host={parts.hostname} port={parts.port or 5432} user={parts.username} dbname=postgres",
                     autocommit=True) as admin:  # fmt: skip
    if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]).fetchone():
        admin.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

call_command("migrate", verbosity=0)

from apps.audit.services import Actor  # noqa: E402
from apps.merchants.models import Merchant  # noqa: E402
from apps.reconciliation.models import LedgerItem  # noqa: E402
from apps.reconciliation.services import checking, findings, matching  # noqa: E402
from apps.reconciliation.services.ingest import settlement_file_ingest  # noqa: E402

DAY = dt.date(2026, 11, 2)
ACTOR = Actor.system("bench")


_TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    """CPU seconds (user + system) the database backend of this connection has used so far."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


class Timer:
    def __enter__(self):
        self.cpu, self.wall, self.own = backend_cpu(), time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, backend_cpu() - self.cpu
        self.own = time.process_time() - self.own  # this process's CPU (parse, validate, send)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset() -> None:
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE reconciliation_discrepancy, reconciliation_ledgeritem, reconciliation_settlementline,"
            " reconciliation_bankline, reconciliation_settlementbatch, reconciliation_settlementfile,"
            " reconciliation_reconciliationrun, ledger_journalentry CASCADE"
        )


def write_csv(path: Path, n: int, salt: str) -> None:
    """The sandbox CSV of N captures, written as it is generated (never whole in memory)."""
    with path.open("wb") as out:
        out.write(b"settlement_date,record_type,psp_reference,merchant_reference,currency,gross,fee,net,"
                  b"payout_reference\n")  # fmt: skip
        for start in range(0, n, 10_000):
            rows = []
            for i in range(start, min(n, start + 10_000)):
                gross, fee = 1000 + i % 9000, 25
                rows.append(f"2026-11-02,capture,sbx{salt}{i:09d},ch_{salt}{i:09d},USD,{gross // 100}.{gross % 100:02d},"
                            f"0.{fee:02d},{(gross - fee) // 100}.{(gross - fee) % 100:02d},SBXPO-20261102-USD\n")  # fmt: skip
            out.write("".join(rows).encode())


def raw_copy(path: Path) -> Timer:
    with connection.cursor() as cur, path.open("rb") as source:
        cur.execute("DROP TABLE IF EXISTS bench_raw")
        cur.execute("CREATE UNLOGGED TABLE bench_raw (d text, t text, r text, m text, c text, g text, f text, n text,"
                    " p text)")  # fmt: skip
        with Timer() as timer, cur.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        cur.execute("DROP TABLE bench_raw")
    return timer


def seed_items(n: int, salt: str, merchant: Merchant) -> None:
    """N ledger items (one per journal entry; the entries are real rows, postings are not needed
    by the pass), every 100th expecting 3 minor units more than its line settles."""
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ledger_journalentry (public_id, kind, merchant_id, livemode, source_type, source_id,
                                             description, effective_at, created_at)
            SELECT 'je_bench' || %s || g, 'capture', %s, false, 'charge', 'ch_' || %s || lpad(g::text, 9, '0'),
                   '', %s, now()
            FROM generate_series(0, %s - 1) g
            """,
            [salt, merchant.pk, salt, dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC), n],
        )
        cur.execute(
            """
            INSERT INTO reconciliation_ledgeritem (entry_id, merchant_id, livemode, connector_code, kind, source_type,
                source_id, gateway_reference, amount, currency, effective_on, status, match_kind, pinned,
                marked_received)
            SELECT je.id, je.merchant_id, false, 'sandbox', 'capture', 'charge', je.source_id,
                   'sbx' || %s || substr(je.source_id, length('ch_' || %s) + 1),
                   1000 + (substr(je.source_id, length('ch_' || %s) + 1)::int %% 9000)
                   + CASE WHEN substr(je.source_id, length('ch_' || %s) + 1)::int %% 100 = 0 THEN 3 ELSE 0 END,
                   'USD', %s, 'expected', '', false, false
            FROM ledger_journalentry je WHERE je.public_id LIKE 'je_bench' || %s || '%%'
            """,
            [salt, salt, salt, salt, DAY, salt],
        )
        cur.execute("ANALYZE reconciliation_ledgeritem")
        cur.execute("ANALYZE reconciliation_settlementline")


def bare_join() -> Timer:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL work_mem = '{matching.PASS_WORK_MEM}'")  # the pass's own settings
        cur.execute("SET LOCAL jit = off")
        with Timer() as timer:
            cur.execute(
                "SELECT count(*), sum(abs(l.gross - i.amount)) FROM reconciliation_ledgeritem i"
                " JOIN reconciliation_settlementline l ON l.psp_reference = i.gateway_reference"
            )
            cur.fetchone()
        return timer


def match() -> tuple[Timer, int]:
    scope = matching.Scope(DAY, DAY + dt.timedelta(days=1), False, "sandbox", DAY + dt.timedelta(days=10))
    steps = {}
    with Timer() as timer, transaction.atomic(), connection.cursor() as cur:
        for name in ("build_item_scope", "prepare_lines", "prepare_all_lines", "match_items", "check_items",
                     "match_bank", "found_discrepancies"):  # fmt: skip
            step = time.perf_counter()
            cpu = backend_cpu()
            module = {"found_discrepancies": findings, "check_items": checking}.get(name, matching)
            result = (
                getattr(module, name)(cur)
                if name == "prepare_all_lines"
                else getattr(module, name)(cur, scope)
            )
            steps[name] = (time.perf_counter() - step, backend_cpu() - cpu)
        found = result
    if args.steps:
        print("  steps (wall / backend CPU): " + ", ".join(f"{k} {w:.2f}/{c:.2f} s" for k, (w, c) in steps.items()),
              flush=True)  # fmt: skip
    return timer, len(found)


def measure(n: int, merchant: Merchant) -> None:
    reset()
    salt = f"n{n}t{int(time.time())}x"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"bench-{n}.csv"
        write_csv(path, n, salt)
        copy = raw_copy(path)
        with Timer() as ingest, path.open("rb") as upload:  # as an upload arrives: a file, not bytes
            file = settlement_file_ingest(content=upload, fmt="sandbox_csv", actor=ACTOR, filename=path.name)
    assert file.status == "processed", file.errors[:3]
    if args.ingest_only:
        print(f"n={n:>9,}  ingest {n / ingest.wall:>9,.0f} lines/s ({ingest.wall:5.1f} s, backend CPU {ingest.cpu:5.1f} s,"
              f" Python CPU {ingest.own:5.1f} s) vs raw COPY {n / copy.wall:>9,.0f} rows/s ({copy.wall:4.1f} s,"
              f" CPU {copy.cpu:4.1f} s)  |  peak RSS {peak_mb():,.0f} MB", flush=True)  # fmt: skip
        return
    seed_items(n, salt, merchant)
    join = bare_join()
    run, found = match()
    matched = LedgerItem.objects.filter(status="matched").count()
    print(f"n={n:>9,}  ingest {n / ingest.wall:>9,.0f} lines/s ({ingest.wall:5.1f} s, backend CPU {ingest.cpu:5.1f} s)"
          f" vs raw COPY {n / copy.wall:>9,.0f} rows/s ({copy.wall:4.1f} s, CPU {copy.cpu:4.1f} s)"
          f"  |  pass {run.wall:5.1f} s (CPU {run.cpu:5.1f} s) vs bare hash join {join.wall:5.2f} s (CPU {join.cpu:4.2f} s)"
          f" = {run.wall / join.wall:4.1f}x wall, {run.cpu / max(join.cpu, 0.01):4.1f}x CPU"
          f"  |  matched {matched:,}, discrepancies {found:,}  |  peak RSS {peak_mb():,.0f} MB", flush=True)  # fmt: skip


with connection.cursor() as session:
    session.execute("SET max_parallel_workers_per_gather = 0")
merchant = Merchant.objects.order_by("pk").first() or Merchant.objects.create(name="Bench")
for size in [int(s) for s in args.sizes.split(",") if s] + [args.rows]:
    measure(size, merchant)
