"""Ledger benchmark: balance reads at 1M postings, capture-path write cost, hot-merchant writers.

    .venv/bin/python bench/ledger_balance.py [--postings 1000000] [--writers 16] [--captures 150]
                                              [--keep]

Uses its own database (default clearhouse_bench_ledger on 127.0.0.1, created and migrated here,
dropped at the end unless --keep) and prints:

1. balance read (apps.ledger.selectors.balance_get) for one merchant whose accounts hold
   `--postings` postings, loaded with COPY: cold (no snapshot: index-only scan of every posting),
   after a snapshot run, and with 1,000 postings after the snapshot (the steady state: the beat
   task rolls snapshots every minute);
2. capture-path write cost: queries and ms per payment (create + confirm + automatic capture
   through apps.intents services and the sandbox acquirer) with the ledger hook and without it,
   plus ledger_post_capture on its own;
3. 16 concurrent writers (threads, one connection each) posting captures to ONE merchant vs.
   spread over 1,000 merchants: captures/s and the ratio (target >= 0.8).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clearhouse_bench_ledger"
)
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://bench")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def admin_connection():
    import psycopg

    parsed = urlparse(os.environ["DATABASE_URL"])
    return psycopg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        dbname="postgres",
        autocommit=True,
    )


def database_name() -> str:
    return urlparse(os.environ["DATABASE_URL"]).path.lstrip("/")


def create_database() -> None:
    name = database_name()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name()}" WITH (FORCE)')


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# --- 1. balance read at 1M postings ---------------------------------------------------------


def load_postings(merchant, total: int) -> None:
    """`total` postings on the merchant's pending and available accounts (plus their connector
    clearing counterparts), every entry balanced. COPY with the per-row balance trigger off for
    the load only (the data is balanced by construction; checked afterwards)."""
    from django.db import connection

    from apps.ledger.accounts import accounts_get_or_create, clearing_ref, merchant_ref

    refs = [
        merchant_ref(merchant, False, "pending", "USD"),
        merchant_ref(merchant, False, "available", "USD"),
        clearing_ref(False, "sandbox", "USD"),
    ]
    accounts = accounts_get_or_create(refs)
    pending, available, clearing = (accounts[r.key].pk for r in refs)
    entries = total // 2
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_entry_balanced")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_journalentry")
        first = cursor.fetchone()[0] + 1
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY ledger_journalentry (id, public_id, kind, merchant_id, livemode, source_type, source_id,"
            " description, effective_at, created_at) FROM STDIN"
        ) as copy:
            for n in range(entries):
                copy.write_row(
                    (
                        first + n,
                        f"je_bench{n:09d}",
                        "capture",
                        merchant.pk,
                        False,
                        "charge",
                        f"ch_bench{n}",
                        "",
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00Z",
                    )
                )
        with raw.cursor().copy(
            "COPY ledger_posting (entry_id, account_id, amount, currency) FROM STDIN"
        ) as copy:
            for n in range(entries):
                amount = 100 + n % 900
                copy.write_row((first + n, pending, amount, "USD"))
                copy.write_row((first + n, available, amount, "USD"))
                copy.write_row((first + n, clearing, -2 * amount, "USD"))
        cursor.execute("ALTER TABLE ledger_posting ENABLE TRIGGER ledger_posting_entry_balanced")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_journalentry', 'id'), (SELECT MAX(id) FROM ledger_journalentry))"
        )
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_posting GROUP BY entry_id HAVING SUM(amount) <> 0) u"
        )
        assert cursor.fetchone()[0] == 0, "bench data unbalanced"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_posting")


def time_balance_reads(merchant, repeat: int = 30) -> tuple[float, float, dict]:
    from apps.ledger.selectors import balance_get

    timings = []
    result = {}
    for _ in range(repeat):
        start = time.perf_counter()
        result = balance_get(merchant=merchant, livemode=False)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), max(timings), result


def bench_balance(total: int) -> None:
    from tests.factories.merchants import MerchantFactory

    from apps.ledger.services import ledger_post_capture, ledger_snapshots_refresh

    merchant = MerchantFactory(name="Bench heavy")
    start = time.perf_counter()
    load_postings(merchant, total)
    print(
        f"  loaded {total:,} merchant postings (+{total // 2:,} clearing) in {time.perf_counter() - start:.1f} s"
    )
    median, worst, result = time_balance_reads(merchant)
    print(
        f"  balance read, no snapshot (index-only scan of all postings): median {ms(median)}, max {ms(worst)}"
    )
    start = time.perf_counter()
    ledger_snapshots_refresh()
    print(f"  snapshot run over {total:,} postings: {time.perf_counter() - start:.1f} s")
    median, worst, snap_result = time_balance_reads(merchant)
    assert snap_result == result, (snap_result, result)
    print(f"  balance read, snapshot + empty tail:                   median {ms(median)}, max {ms(worst)}")
    for n in range(500):
        ledger_post_capture(
            merchant=merchant,
            livemode=False,
            charge_id=f"ch_tail{n}",
            amount=1_000,
            currency="USD",
            connector_code="sandbox",
            settlement_delay_days=2,
        )
    median, worst, _ = time_balance_reads(merchant)
    print(
        f"  balance read, snapshot + 1,000 newer postings:         median {ms(median)}, max {ms(worst)}  "
        f"(target < 50 ms)"
    )


# --- 2. capture-path write cost ---------------------------------------------------------------


class QueryCounter:
    """Counts statements through an execute wrapper (no query log, so no 9000-entry cap)."""

    def __init__(self, connection):
        self.connection = connection
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = self.connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


@contextlib.contextmanager
def ledger_capture_disabled():
    """Swaps every reference to the ledger's capture entry point (held by the ledger's services
    package and by the intents modules that import it) for a no-op, so the same payment runs
    without the ledger."""
    from apps.ledger import services as ledger_services

    real = ledger_services.ledger_record_capture
    modules = [ledger_services] + [
        module for name, module in list(sys.modules.items()) if name.startswith("apps.intents") and module
    ]
    patched = [
        (module, attr) for module in modules for attr, value in list(vars(module).items()) if value is real
    ]
    for module, attr in patched:
        setattr(module, attr, lambda **kwargs: None)
    try:
        yield
    finally:
        for module, attr in patched:
            setattr(module, attr, real)


def bench_capture_path(n: int) -> None:
    from django.db import connection
    from tests.factories.merchants import MerchantFactory

    import apps.intents.services as intents
    from apps.audit.services import Actor
    from apps.ledger.services import ledger_post_capture
    from tests.intents.helpers import make_card

    merchant = MerchantFactory(name="Bench capture path")
    actor = Actor.system("bench")
    card = make_card(merchant)

    def one(with_ledger: bool) -> tuple[float, int]:
        with contextlib.ExitStack() as stack:
            if not with_ledger:
                stack.enter_context(ledger_capture_disabled())
            with QueryCounter(connection) as counter:
                start = time.perf_counter()
                intent = intents.payment_intent_create(
                    merchant=merchant,
                    livemode=False,
                    actor=actor,
                    amount=2_000,
                    currency="USD",
                    payment_method=card.public_id,
                    confirm=True,
                )
                elapsed = time.perf_counter() - start
        assert intent.status == "succeeded", intent.status
        return elapsed, counter.count

    for _ in range(5):  # warm-up
        one(True)
    # interleaved, so background load hits both variants alike
    samples: dict[str, list[tuple[float, int]]] = {"without": [], "with": []}
    for _ in range(n):
        samples["without"].append(one(False))
        samples["with"].append(one(True))
    medians = {}
    for label, rows in samples.items():
        t, q = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
        medians[label] = (t, q)
        print(f"  create+confirm {label.upper():<8} ledger: {ms(t)} per payment, {q:.0f} queries")
    (without_t, without_q), (with_t, with_q) = medians["without"], medians["with"]
    print(
        f"  ledger cost on the capture path: {(with_t - without_t) * 1000:+.2f} ms "
        f"({(with_t / without_t - 1) * 100:+.0f}%), {with_q - without_q:+.0f} queries"
    )
    times, queries = [], []
    for i in range(n):
        with QueryCounter(connection) as ctx:
            start = time.perf_counter()
            ledger_post_capture(
                merchant=merchant,
                livemode=False,
                charge_id=f"ch_alone{i}",
                amount=2_000,
                currency="USD",
                connector_code="sandbox",
            )
            times.append(time.perf_counter() - start)
        queries.append(ctx.count)
    print(
        f"  ledger_post_capture alone (autocommit): {ms(statistics.median(times))}, "
        f"{statistics.median(queries):.0f} queries"
    )


# --- 3. concurrent writers: one merchant vs 1,000 --------------------------------------------


def bench_writers(writers: int, per_writer: int, rounds: int) -> None:
    from django.db import connection, transaction
    from tests.factories.merchants import MerchantFactory

    from apps.ledger.services import ledger_post_capture
    from apps.merchants.models import Merchant

    hot = MerchantFactory(name="Bench hot")
    spread = [MerchantFactory(name=f"Bench spread {i}") for i in range(1_000)]
    # warm every merchant's accounts so both runs measure steady-state postings
    for i, merchant in enumerate([hot, *spread]):
        ledger_post_capture(
            merchant=merchant,
            livemode=False,
            charge_id=f"ch_warm{i}",
            amount=100,
            currency="USD",
            connector_code="sandbox",
            settlement_delay_days=2,
        )
    hot_id, spread_ids = hot.pk, [m.pk for m in spread]

    def run(label: str, pick) -> float:
        barrier = threading.Barrier(writers + 1)
        errors = []

        def worker(w: int):
            merchants = {}
            try:
                barrier.wait()
                for i in range(per_writer):
                    mid = pick(w, i)
                    merchant = merchants.get(mid) or merchants.setdefault(mid, Merchant.objects.get(pk=mid))
                    with transaction.atomic():
                        ledger_post_capture(
                            merchant=merchant,
                            livemode=False,
                            charge_id=f"ch_{label[:2]}{w}_{i}_{label}",
                            amount=1_000 + i,
                            currency="USD",
                            connector_code="sandbox",
                            settlement_delay_days=2,
                        )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        rate = writers * per_writer / elapsed
        print(
            f"  {label:<30} {writers} writers x {per_writer}: {rate:,.0f} captures/s"
            f"{'  ERRORS: ' + str(errors[:3]) if errors else ''}"
        )
        return rate

    spread_rates, hot_rates = [], []
    for r in range(rounds):  # alternate, so background load and table growth hit both alike
        spread_rates.append(
            run(
                f"r{r} spread over 1,000 merchants",
                lambda w, i, r=r: spread_ids[(r * 7919 + w * per_writer + i) % len(spread_ids)],
            )
        )
        hot_rates.append(run(f"r{r} one merchant", lambda w, i: hot_id))
    spread_rate, hot_rate = statistics.median(spread_rates), statistics.median(hot_rates)
    print(
        f"  one-merchant / spread throughput ratio (medians): {hot_rate / spread_rate:.2f}  (target >= 0.8)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--per-writer", type=int, default=60)
    parser.add_argument("--captures", type=int, default=150)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--only", choices=["balance", "capture", "writers"], help="run one part")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of the writers part")
    args = parser.parse_args()

    create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        print(f"database {database_name()} (PostgreSQL), {os.cpu_count()} CPUs")
        if args.only in (None, "balance"):
            print("1. balance read")
            bench_balance(args.postings)
        if args.only in (None, "capture"):
            print("2. capture-path write cost")
            bench_capture_path(args.captures)
        if args.only in (None, "writers"):
            print("3. concurrent writers")
            bench_writers(args.writers, args.per_writer, args.rounds)
    finally:
        if not args.keep:
            drop_database()
            print(f"dropped {database_name()}")


if __name__ == "__main__":
    main()
