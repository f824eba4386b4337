"""Reporting benchmark: export throughput and worker memory, and the 30-day metrics query.

    .venv/bin/python bench/reporting.py [--payments 1000000 10000000] [--queries 20] [--keep]
        [--reuse] [--formats csv jsonl parquet] [--skip-exports] [--skip-metrics] [--skip-rollup]

Uses its own database (BENCH_DATABASE_URL, default clearhouse_bench_reporting on 127.0.0.1,
created and migrated here, dropped at the end unless --keep; --reuse keeps a database a --keep
run left and loads only the sizes it lacks). For each size it loads that many payments (one
PaymentIntent and one Charge each, spread over the last 30 days, 10% declined) with
INSERT … SELECT from one template row, then prints:

1. a `payments.itemized.1` report run over all of them to CSV, JSON Lines and Parquet, each in a fresh
   worker process (apps.reporting.services.report_run_execute, as the Celery task runs it):
   rows/s and the worker's peak RSS (aim: >= 100k rows/s, the same peak at every size);
2. the metrics API's 30-day query (apps.reporting.metrics.metrics_query, daily buckets in
   Europe/Berlin, grouped by connector and currency, every additive KPI) after the hourly
   roll-up of the closed hours: p50 and p95 over `--queries` runs (the current hour is live).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clearhouse_bench_reporting"
)
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MEDIA_ROOT", "/tmp/clearhouse_bench_reporting_media")


def admin_connection():
    import psycopg

    parsed = urlparse(os.environ["DATABASE_URL"])
    return psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                           dbname="postgres", autocommit=True)  # fmt: skip


def database_name() -> str:
    return urlparse(os.environ["DATABASE_URL"]).path.lstrip("/")


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name()}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database_name()}"')


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name()}" WITH (FORCE)')


# --- data -----------------------------------------------------------------------------------


def _clone_sql(model, *, template_id: int, overrides: dict[str, str], count: int) -> str:
    """INSERT … SELECT of `count` copies of one row, with SQL expressions (over g = 1..count)
    for the columns in `overrides`."""
    columns = [f.column for f in model._meta.concrete_fields]
    select = [overrides.get(c, f't."{c}"') for c in columns]
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(select)
    return (
        f'INSERT INTO "{table}" ({names}) SELECT {values} FROM "{table}" t '
        f"CROSS JOIN generate_series(1, {count}) g WHERE t.id = {template_id}"
    )


def loaded_payments(count: int):
    """The merchant a --keep run loaded with `count` payments, and the `now` of its loading."""
    from apps.merchants.models import Merchant

    merchant = Merchant.objects.filter(name=f"Bench {count}").order_by("-pk").first()
    if merchant is None:
        return None
    return merchant, merchant.created_at + timedelta(days=31)


def load_payments(count: int) -> tuple[object, datetime]:
    """A fresh merchant with `count` payments over the last 30 days; returns it and `now`."""
    from django.db import connection, transaction

    from apps.connectors.models import Connector
    from apps.intents.models import Charge, PaymentIntent
    from apps.merchants.models import Merchant

    merchant = Merchant.objects.create(name=f"Bench {count}")
    connector = Connector.objects.create(merchant=merchant, code="sandbox", name="Sandbox")
    now = datetime.now(UTC).replace(microsecond=0)
    intent = PaymentIntent.objects.create(merchant=merchant, amount=1999, currency="USD", status="succeeded",
                                          amount_received=1999, connector=connector, order_id="template")  # fmt: skip
    charge = Charge.objects.create(merchant=merchant, payment_intent=intent, connector=connector, amount=1999,
                                   currency="USD", status="succeeded", amount_authorized=1999, amount_captured=1999,
                                   captured=True, payment_method_details={"type": "card", "card": {"brand": "visa"}})  # fmt: skip
    span = 30 * 86400
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM intents_paymentintent")
        pi_base = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM intents_charge")
        ch_base = cursor.fetchone()[0]
    created = f"TIMESTAMPTZ '{now.isoformat()}' - make_interval(secs => (g * {span}.0 / {count}))"
    failed = "(g % 10 = 0)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            _clone_sql(PaymentIntent, template_id=intent.pk, count=count, overrides={
                "id": f"{pi_base} + g",
                "public_id": f"'pi_b{merchant.pk}_' || lpad(g::text, 20, '0')",
                "client_secret": f"'pi_b{merchant.pk}_' || g::text || '_secret'",
                "amount": "100 + (g % 5000)",
                "amount_received": f"CASE WHEN {failed} THEN 0 ELSE 100 + (g % 5000) END",
                "status": f"CASE WHEN {failed} THEN 'requires_payment_method' ELSE 'succeeded' END",
                "currency": "CASE WHEN g % 4 = 0 THEN 'EUR' ELSE 'USD' END",
                "latest_charge_id": f"{ch_base} + g",
                "order_id": "'ord-' || g::text",
                "created_at": created,
                "updated_at": created,
            })
        )  # fmt: skip
        cursor.execute(
            _clone_sql(Charge, template_id=charge.pk, count=count, overrides={
                "id": f"{ch_base} + g",
                "public_id": f"'ch_b{merchant.pk}_' || lpad(g::text, 20, '0')",
                "payment_intent_id": f"{pi_base} + g",
                "amount": "100 + (g % 5000)",
                "amount_authorized": f"CASE WHEN {failed} THEN 0 ELSE 100 + (g % 5000) END",
                "amount_captured": f"CASE WHEN {failed} THEN 0 ELSE 100 + (g % 5000) END",
                "status": f"CASE WHEN {failed} THEN 'failed' ELSE 'succeeded' END",
                "decline_code": f"CASE WHEN {failed} THEN 'insufficient_funds' ELSE '' END",
                "currency": "CASE WHEN g % 4 = 0 THEN 'EUR' ELSE 'USD' END",
                "created_at": created,
                "updated_at": created,
                "authorized_at": f"({created}) + interval '350 milliseconds'",
            })
        )  # fmt: skip
        cursor.execute("DELETE FROM intents_charge WHERE id = %s", [charge.pk])
        cursor.execute("UPDATE intents_paymentintent SET latest_charge_id = NULL WHERE id = %s", [intent.pk])
        cursor.execute("DELETE FROM intents_paymentintent WHERE id = %s", [intent.pk])
    with connection.cursor() as cursor:
        for table in ("intents_paymentintent", "intents_charge"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
            cursor.execute(f"VACUUM ANALYZE {table}")
    Merchant.objects.filter(pk=merchant.pk).update(created_at=now - timedelta(days=31))
    merchant.refresh_from_db()
    return merchant, now


# --- 1. exports -----------------------------------------------------------------------------


def child_export(run_id: int) -> None:
    """Runs in a fresh process: one report run, as the worker runs it; prints JSON figures."""
    import django

    django.setup()
    from apps.reporting.models import ReportRun
    from apps.reporting.services import report_run_execute

    started = time.perf_counter()
    status = report_run_execute(report_run_id=run_id)
    elapsed = time.perf_counter() - started
    run = ReportRun.objects.get(pk=run_id)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"status": status, "rows": run.rows_written, "seconds": elapsed, "peak_mib": peak_kib / 1024,
                      "size": run.size, "error": run.error}))  # fmt: skip


def bench_exports(merchant, now, formats) -> None:
    from apps.reporting.models import ReportRun
    from apps.reporting.services.report_runs import parameters_hash, report_parameters_normalize

    start = int((now - timedelta(days=31)).timestamp())
    for fmt in formats:
        rtype, params = report_parameters_normalize(
            merchant=merchant, livemode=False, report_type="payments.itemized.1", format=fmt,
            parameters={"interval_start": start, "interval_end": int(now.timestamp()), "timezone": "Europe/Berlin"},
        )  # fmt: skip
        run = ReportRun.objects.create(merchant=merchant, report_type=rtype.id, format=fmt, parameters=params,
                                       parameters_hash=parameters_hash(report_type=rtype.id, format=fmt,
                                                                       parameters=params))  # fmt: skip
        out = subprocess.run([sys.executable, __file__, "--child-export", str(run.pk)], capture_output=True,
                             text=True, check=True, env=os.environ.copy())  # fmt: skip
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        assert figures["status"] == "succeeded", figures
        print(f"   {fmt:8s} {figures['rows']:>10,} rows in {figures['seconds']:7.1f} s = "
              f"{figures['rows'] / figures['seconds']:>9,.0f} rows/s; worker peak RSS {figures['peak_mib']:.0f} MiB; "
              f"file {figures['size'] / 2**20:.0f} MiB")  # fmt: skip


# --- 2. metrics -----------------------------------------------------------------------------


def bench_metrics(merchant, now, queries: int, rollup: bool = True) -> None:
    from zoneinfo import ZoneInfo

    from apps.reporting.metrics import METRICS, metrics_query
    from apps.reporting.services import metric_hours_rollup

    if rollup:
        started = time.perf_counter()
        metric_hours_rollup(start=now - timedelta(days=31), end=now)
        print(f"   hourly roll-up of 31 days: {time.perf_counter() - started:.1f} s "
              "(beat re-rolls the last 26 hours)")  # fmt: skip
    berlin = ZoneInfo("Europe/Berlin")
    midnight = datetime.combine(
        (now - timedelta(days=30)).astimezone(berlin).date(), datetime.min.time(), berlin
    )
    # The open hour is live SQL either way; "rolling" also starts inside an hour (a second live
    # span over that hour's rows), "calendar" starts at a Berlin midnight as the dashboard and
    # daily report windows do.
    for label, start in (
        ("rolling now-30d", now - timedelta(days=30)),
        ("calendar, Berlin midnight", midnight),
    ):
        samples = []
        for _ in range(queries):
            t0 = time.perf_counter()
            answer = metrics_query(merchant_id=merchant.pk, livemode=False, start=start, end=now, tz=berlin,
                                   granularity="day", group_by=("connector", "currency"), metrics=tuple(METRICS),
                                   now=now + timedelta(minutes=30))  # fmt: skip
            samples.append(time.perf_counter() - t0)
        samples.sort()
        p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
        print(f"   30-day metrics query, {label} ({len(answer.buckets)} buckets, "
              f"{answer.totals['counts']['payments']:,} payments): p50 {statistics.median(samples) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms over {queries} runs")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep a --keep run's database and data")
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl", "parquet"])
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-metrics", action="store_true")
    parser.add_argument("--skip-rollup", action="store_true", help="the roll-up a --keep run made stands")
    parser.add_argument("--child-export", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        child_export(args.child_export)
        return
    if not args.reuse:
        create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        print(f"database {database_name()} (PostgreSQL), {os.cpu_count()} CPUs")
        for count in args.payments:
            found = loaded_payments(count) if args.reuse else None
            if found:
                merchant, now = found
                print(f"{count:,} payments (+ {count:,} attempts) loaded earlier (--reuse)")
            else:
                t0 = time.perf_counter()
                merchant, now = load_payments(count)
                print(f"{count:,} payments (+ {count:,} attempts) loaded in {time.perf_counter() - t0:.0f} s")
            if not args.skip_exports:
                print(" 1. export of payments.itemized.1 (all rows), fresh worker process each")
                bench_exports(merchant, now, args.formats)
            if not args.skip_metrics:
                print(" 2. metrics")
                bench_metrics(merchant, now, args.queries, rollup=not args.skip_rollup)
    finally:
        if not (args.keep or args.reuse):
            drop_database()
            print(f"dropped {database_name()}")


if __name__ == "__main__":
    main()
