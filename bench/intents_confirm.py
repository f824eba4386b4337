"""Payment confirm throughput against a bare-insert baseline, over HTTP, on PostgreSQL.

    .venv/bin/python bench/intents_confirm.py [--duration 30] [--clients 8] [--merchants 100]
        [--serving config sync-4 ...] [--rounds N] [--in-process-only] [--profile N]

On DATABASE_URL (default: database clearhouse_intents_bench, created and migrated if missing),
in the same run on the same database:

In-process (Django's test client through the same handler and middleware; no gunicorn):
1. per create+confirm (confirm=true, 4242 card, automatic capture, API key, Idempotency-Key):
   statements (what Django sends, BEGIN/COMMIT included) and round trips (plus what the driver
   sends outside Django's cursor, e.g. a health-check `SELECT 1`), application CPU (this
   process's CPU time) and PostgreSQL CPU (this connection's backend process, from /proc), on a
   plain merchant and on one with routing's 10-rule and risk's 20-rule sets (two 1,000-item
   value lists) active; the hot tables' inserts/updates/HOT share (pg_stat_user_tables);
2. risk's hooks alone: CPU, queries and Redis round trips per confirm;
3. the lean /v1/ middleware stack against the whole MIDDLEWARE, interleaved (CPU per confirm
   and per baseline POST), and the orjson renderer against DRF's on one intent response
   (`--stack-confirms 0` skips this);
4. `--profile N`: cProfile's own time per layer over N confirms.

Over HTTP, for each serving configuration named by --serving (SERVING below: gunicorn arguments
and DATABASE_POOL), interleaved over --rounds rounds, each on a fresh gunicorn:
5. baseline: a bare DRF view under /v1/ (so through the same lean stack) inserting one row per
   POST in its own transaction — the ceiling;
6. create+confirm from N closed-loop clients spread over M merchants — its rate is the max
   throughput — then all on one merchant (the hot-row case), then on the --rule-merchants
   merchants with routing+risk rule sets;
7. an open-loop run at half of the measured max (requests sent on a fixed schedule, latency
   counted from the scheduled send, so queueing is not hidden): p50/p99 at half of max;
   each with the gunicorn workers' and PostgreSQL's CPU per request;
then the ratios against the issue's aims, and a summary per configuration over the rounds.

The machine may be shared: wall-clock rates are noisy, the in-process counts and CPU less so;
compare configurations within one run (interleaved), not across runs. gunicorn is stopped by its
pid. ``--risk-only`` runs scenario 2 alone, ``--in-process-only`` scenarios 1-4 (no gunicorn).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clearhouse_intents_bench")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.intents_settings")
os.environ.setdefault("ADMIN_2FA_REQUIRED", "false")

HOST = "127.0.0.1"
BASELINE_PATH = "/v1/_bench/baseline"  # under /v1/: it runs through the API's middleware stack


def _visa_success() -> str:
    from apps.connectors.sandbox.cards import DEFAULT_CARD  # test numbers live only in that table

    return DEFAULT_CARD.number


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(merchant_count: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, payload text, created_at timestamptz)"
        )
        cursor.execute("TRUNCATE bench_baseline")
    from apps.audit.services import Actor
    from apps.merchants.models import DEFAULT_PAYMENT_METHOD_TYPES, Merchant, MerchantSettings
    from apps.merchants.services import api_key_create
    from apps.vault.services import payment_method_create_card

    actor = Actor.system("bench")
    run = uuid.uuid4().hex[:6]
    tenants = []
    for i in range(merchant_count + 1):
        merchant = Merchant.objects.create(name=f"Bench {run} {i}")
        MerchantSettings.objects.get_or_create(
            merchant=merchant, defaults={"allowed_payment_method_types": list(DEFAULT_PAYMENT_METHOD_TYPES)}
        )
        _, secret = api_key_create(merchant=merchant, kind="secret", livemode=False, scopes=None, actor=actor)
        pm = payment_method_create_card(
            merchant=merchant, livemode=False, number=_visa_success(), exp_month=12, exp_year=2034,
            cvc="123", actor=actor,
        )  # fmt: skip
        tenants.append((secret, pm.public_id))
    return {"spread": tenants[:merchant_count], "hot": tenants[merchant_count:]}


RISK_RULES = [
    ("block", ":risk_score: > 75"),
    ("review", ":risk_score: > 65"),
    ("block", ":email: in @blocked_emails"),
    ("block", ":card_fingerprint: in @blocked_cards"),
    ("block", ":attempts_per_card_fingerprint_10m: > 100000000"),
    ("review", ":amount_in_usd: > 500000"),
    ("review", ":card_country: != :ip_country:"),
    ("request_3ds", ":card_funding: = 'prepaid' and :amount: > 100000"),
    ("block", ":card_country: in ('kp', 'ir', 'sy', 'cu')"),
    ("review", ":email_domain: in ('mailinator.com', 'guerrillamail.com')"),
    ("block", ":declines_per_ip_address_1h: > 100000000"),
    ("review", ":customer_age_days: < 1 and :amount: > 200000"),
    ("block", "is_missing(:card_fingerprint:) and :payment_method_type: = 'card'"),
    ("review", "::channel:: = 'call_center' and :amount: > 100000"),
    ("allow", ":customer: = 'cus_bench_trusted'"),
    ("review", ":card_brand: = 'amex' and :amount: > 300000"),
    ("block", ":billing_country: = 'ng' and :card_country: = 'us'"),
    ("review", ":attempts_per_email_24h: > 100000000"),
    ("review", "not (:currency: in ('usd', 'eur', 'gbp'))"),
    ("block", ":amount: > 99999999"),
]


def risk_setup() -> tuple:
    """A merchant with the 20 rules active and two 1,000-item value lists, and its test card."""
    from apps.audit.services import Actor
    from apps.merchants.models import DEFAULT_PAYMENT_METHOD_TYPES, Merchant, MerchantSettings
    from apps.merchants.services import api_key_create
    from apps.risk.models import ValueList, ValueListItem
    from apps.risk.services import rule_set_version_create
    from apps.risk.services.rulesets import pointer_refresh
    from apps.vault.services import payment_method_create_card

    actor = Actor.system("bench")
    merchant = Merchant.objects.create(name=f"Bench risk {uuid.uuid4().hex[:6]}")
    MerchantSettings.objects.get_or_create(
        merchant=merchant, defaults={"allowed_payment_method_types": list(DEFAULT_PAYMENT_METHOD_TYPES)}
    )
    _, secret = api_key_create(merchant=merchant, kind="secret", livemode=False, scopes=None, actor=actor)
    for alias, item_type, value in (("blocked_emails", "email", "fraud{}@example.net"),
                                    ("blocked_cards", "card_fingerprint", "fp{:028d}")):  # fmt: skip
        vl = ValueList.objects.create(
            merchant=merchant, livemode=False, alias=alias, name=alias, item_type=item_type
        )
        ValueListItem.objects.bulk_create(
            ValueListItem(
                merchant=merchant,
                livemode=False,
                value_list=vl,
                value=value.format(i),
                public_id=f"rsli_bench{vl.pk}_{i}",
            )
            for i in range(1000)
        )
    rule_set_version_create(merchant=merchant, livemode=False, actor=actor, activate=True,
                            rules=[{"action": a, "predicate": p} for a, p in RISK_RULES])  # fmt: skip
    pointer_refresh(merchant.pk, False)
    pm = payment_method_create_card(
        merchant=merchant, livemode=False, number=_visa_success(), exp_month=12, exp_year=2034, cvc="123",
        actor=actor,
    )  # fmt: skip
    return secret, pm.public_id


def routing_setup(secret_pm: tuple, *, merchant) -> None:
    """Routing's side of the realistic path: two sandbox connector accounts and an active rule set
    of 10 rules (the last matches a 19.99 USD card payment) with a split and a default fallback."""
    from apps.audit.services import Actor
    from apps.connectors.services import connector_create
    from apps.routing.services import rule_set_create

    actor = Actor.system("bench")
    a = connector_create(merchant=merchant, livemode=False, type="sandbox", label="A", actor=actor)
    b = connector_create(merchant=merchant, livemode=False, type="sandbox", label="B", actor=actor)
    rules = [
        {
            "name": f"eur_{i}",
            "conditions": {"currency": ["EUR"], "amount_gte": 100 * i},
            "connectors": [b.public_id],
        }
        for i in range(6)
    ]
    rules += [
        {"name": "amex", "conditions": {"card_brand": ["amex"]}, "connectors": [b.public_id, a.public_id]},
        {"name": "de", "conditions": {"billing_country": ["DE", "AT"]}, "connectors": [b.public_id]},
        {"name": "big", "conditions": {"amount_gte": 500000}, "connectors": [a.public_id]},
        {"name": "usd_split", "conditions": {"currency": ["USD"], "payment_method_type": ["card"]},
         "split": [{"connector": a.public_id, "weight": 70}, {"connector": b.public_id, "weight": 30}]},
    ]  # fmt: skip
    rule_set_create(merchant=merchant, livemode=False, name="bench", actor=actor, rules=rules,
                    default_fallback=[a.public_id, b.public_id], activate=True)  # fmt: skip


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def path_cost(tenant, n: int, *, warm: int = 5) -> dict:
    """Per create+confirm, in-process: statements, round trips, application CPU (process time)
    and PostgreSQL CPU (this connection's backend process only)."""
    import psycopg
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    secret, pm = tenant
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}
    for _ in range(warm):  # warm caches (compiled rule sets, FX, the connection)
        client.post("/v1/payment_intents", body, content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
    # Round trips: what Django logs (its statements and BEGIN/COMMIT) plus what psycopg executes
    # beyond Django's statements (the CONN_HEALTH_CHECKS `SELECT 1` runs on a bare psycopg cursor).
    executed = {"n": 0}
    real_execute = psycopg.Cursor.execute

    def counted(self, *args, **kwargs):
        executed["n"] += 1
        return real_execute(self, *args, **kwargs)

    statements, trips, cpu, db_cpu, db_samples, reconnects = [], [], 0.0, 0.0, 0, 0
    psycopg.Cursor.execute = counted
    try:
        for _ in range(n):
            # what Django's handler does at request_started (the test client skips it)
            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            executed["n"] = 0
            backend = connection.connection.info.backend_pid if connection.connection else None
            with CaptureQueriesContext(connection) as ctx:
                db_before, start = _backend_cpu(backend) if backend else 0.0, time.process_time()
                resp = client.post("/v1/payment_intents", body, content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
                cpu += time.process_time() - start
                if backend is not None and connection.connection.info.backend_pid == backend:
                    db_cpu += _backend_cpu(backend) - db_before
                    db_samples += 1
                else:  # a new connection (CONN_MAX_AGE): its backend's start-up is not this confirm's
                    reconnects += 1
            assert resp.status_code == 200 and resp.json()["status"] == "succeeded", resp.content
            logged = len(ctx.captured_queries)
            markers = sum(q["sql"] in ("BEGIN", "COMMIT", "ROLLBACK") for q in ctx.captured_queries)
            statements.append(logged)
            trips.append(logged + executed["n"] - (logged - markers))
    finally:
        psycopg.Cursor.execute = real_execute
    mean = statistics.mean(statements)
    return {
        "cpu_ms": cpu / n * 1000,
        "db_cpu_ms": db_cpu / max(db_samples, 1) * 1000,
        "reconnects": reconnects,
        "statements": mean,
        "round_trips": statistics.mean(trips),
        "last": [q["sql"][:110] for q in ctx.captured_queries],
    }


def path_lines(plain: dict, full: dict) -> list[str]:
    def one(label, r):
        return (f"{label:<40} statements {r['statements']:5.1f}  round trips {r['round_trips']:5.1f}  "
                f"app CPU {r['cpu_ms']:6.2f} ms  PostgreSQL CPU {r['db_cpu_ms']:5.2f} ms  "
                f"(reconnects {r['reconnects']})")  # fmt: skip

    return [
        one("per confirm, plain merchant:", plain),
        one("per confirm, routing+risk rule sets:", full),
        f"routing+risk add: app CPU {full['cpu_ms'] - plain['cpu_ms']:+.2f} ms, round trips "
        f"{full['round_trips'] - plain['round_trips']:+.1f}  (aim <= 1.5 ms, <= 2)",
        f"aims per confirm (routing+risk): round trips {full['round_trips']:.1f} (<= 10), app CPU "
        f"{full['cpu_ms']:.2f} ms (<= 8), PostgreSQL CPU {full['db_cpu_ms']:.2f} ms (<= 4)",
    ]


HOT_TABLES = ("intents_paymentintent", "intents_charge", "webhooks_event")


def table_stats() -> dict[str, tuple[int, int, int, int]]:
    """(inserts, updates, HOT updates, indexes) of the hot tables (pg_stat_user_tables)."""
    import time as _time

    from django.db import connection

    _time.sleep(1.2)  # PostgreSQL 15 flushes a backend's counters at most once a second
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            """SELECT t.relname, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd,
                      (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid)
               FROM pg_stat_user_tables t WHERE t.relname = ANY(%s)""",
            [list(HOT_TABLES)],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def table_lines(before: dict, after: dict, confirms: int) -> list[str]:
    lines = []
    entries = 0.0
    for table in HOT_TABLES:
        ins, upd, hot = (after[table][i] - before[table][i] for i in range(3))
        indexes = after[table][3]
        entries += (ins + upd - hot) * indexes / confirms
        lines.append(
            f"{table:<22} per confirm: {ins / confirms:4.2f} inserts, {upd / confirms:4.2f} updates, "
            f"HOT {hot / upd * 100 if upd else 0:5.1f} % (n_tup_hot_upd), {indexes} indexes"
        )
    lines.append(f"index entries written per confirm on these tables: {entries:.1f}")
    return lines


def rule_set_tenant() -> tuple:
    """A merchant with risk's 20 rules and value lists and routing's 10-rule set active."""
    from apps.merchants.models import ApiKey

    tenant = risk_setup()
    merchant = ApiKey.objects.get(lookup=tenant[0].split("_", 2)[2][:12]).merchant
    routing_setup(tenant, merchant=merchant)
    return tenant


def in_process(n: int) -> tuple:
    """Scenario 5: a plain merchant, and one with routing's and risk's rule sets."""
    plain_tenant = setup_tenant("plain")
    full_tenant = rule_set_tenant()
    # interleaved halves, so a change of machine load falls on both alike
    before = table_stats()
    halves = [(path_cost(plain_tenant, n // 2), path_cost(full_tenant, n // 2)) for _ in range(2)]
    tables = table_lines(before, table_stats(), 4 * (n // 2 + 5))  # 4 runs, each 5 warm-up + n/2

    def merged(rs):
        out = {
            k: statistics.mean(r[k] for r in rs) for k in ("cpu_ms", "db_cpu_ms", "statements", "round_trips")
        }
        out["last"] = rs[-1]["last"]
        out["reconnects"] = sum(r["reconnects"] for r in rs)
        return out

    return merged([h[0] for h in halves]), merged([h[1] for h in halves]), full_tenant, tables


def hot_sql_compare(tenant, n: int) -> list[str]:
    """Issue 21: the same create+confirm with INTENTS_HOT_SQL on (one statement per transaction)
    and off (the ORM path), interleaved in blocks so a change of machine load falls on both."""
    from django.test import override_settings

    runs: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(4):
        for hot in (True, False):
            with override_settings(INTENTS_HOT_SQL=hot):
                runs[hot].append(path_cost(tenant, max(n // 4, 1)))
    lines = []
    for hot, label in ((True, "INTENTS_HOT_SQL on (CTE path):"), (False, "INTENTS_HOT_SQL off (ORM path):")):
        rs = runs[hot]
        lines.append(
            f"{label:<40} round trips {statistics.mean(r['round_trips'] for r in rs):5.1f}  app CPU "
            f"{statistics.median(r['cpu_ms'] for r in rs):6.2f} ms  PostgreSQL CPU "
            f"{statistics.median(r['db_cpu_ms'] for r in rs):5.2f} ms  (medians of 4 interleaved blocks)"
        )
    return lines


def _request_cpu(client, path: str, body: dict, n: int, *, expect: int = 200) -> float:
    """CPU ms per POST, in-process (each with its own Idempotency-Key)."""
    cpu = 0.0
    for _ in range(n):
        start = time.process_time()
        resp = client.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        cpu += time.process_time() - start
        assert resp.status_code == expect, resp.content
    return cpu / n * 1000


def stack_cost(tenant, n: int, *, rounds: int = 4) -> dict:
    """The lean /v1/ middleware stack against the whole MIDDLEWARE (API_PATH_PREFIX pointed
    nowhere makes ApiStackMiddleware pass /v1/ to the rest of the list), in-process, interleaved
    in `rounds` chunks: CPU ms per create+confirm and per bare-baseline POST."""
    from django.conf import settings
    from django.test import Client, override_settings

    secret, pm = tenant
    body = {"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}
    out = {"lean": {"confirm": [], "baseline": []}, "full": {"confirm": [], "baseline": []}}
    chunk = max(n // rounds, 1)
    lean_prefix = settings.API_PATH_PREFIX
    for _ in range(rounds):
        for stack in ("lean", "full"):
            prefix = lean_prefix if stack == "lean" else "/no-such-prefix/"
            with override_settings(API_PATH_PREFIX=prefix):
                client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")  # its handler reads the setting
                _request_cpu(client, "/v1/payment_intents", body, 3)  # warm
                out[stack]["confirm"].append(_request_cpu(client, "/v1/payment_intents", body, chunk))
                out[stack]["baseline"].append(_request_cpu(client, BASELINE_PATH, {}, chunk * 4))
    return {stack: {k: statistics.mean(v) for k, v in kinds.items()} for stack, kinds in out.items()}


def renderer_cost(n: int = 20000) -> dict:
    """µs to render one create+confirm response (the intent as the API answers it) with the
    API's orjson renderer and with DRF's JSONRenderer, and whether their bytes are equal."""
    from rest_framework.renderers import JSONRenderer as DRFRenderer

    from apps.core.renderers import JSONRenderer
    from apps.intents.models import PaymentIntent
    from apps.intents.payloads import payment_intent_to_dict

    intent = (
        PaymentIntent.objects.filter(status="succeeded")
        .select_related("customer", "payment_method", "latest_charge")
        .order_by("-pk")
        .first()
    )
    data = payment_intent_to_dict(intent)
    renderers = {"orjson": JSONRenderer(), "drf": DRFRenderer()}
    result = {name: float("inf") for name in renderers}
    for _ in range(n // 100):  # interleaved batches; the fastest batch of each (a loaded machine)
        for name, renderer in renderers.items():
            start = time.perf_counter()
            for _ in range(100):
                rendered = renderer.render(data, "application/json", {})
            result[name] = min(result[name], (time.perf_counter() - start) / 100 * 1e6)
            result[name + "_bytes"] = rendered
    result["equal"] = result["orjson_bytes"] == result["drf_bytes"]
    return result


def stack_lines(stacks: dict, render: dict) -> list[str]:
    lean, full = stacks["lean"], stacks["full"]
    return [
        f"middleware, in-process (interleaved): lean /v1/ stack {lean['confirm']:.2f} ms/confirm, "
        f"{lean['baseline']:.3f} ms/baseline POST; whole MIDDLEWARE {full['confirm']:.2f} ms/confirm, "
        f"{full['baseline']:.3f} ms/baseline POST (lean/whole: confirm x{lean['confirm'] / full['confirm']:.2f}, "
        f"baseline x{lean['baseline'] / full['baseline']:.2f})",
        f"renderer, one intent response: orjson {render['orjson']:.1f} us, DRF JSONRenderer "
        f"{render['drf']:.1f} us, same bytes: {render['equal']}",
    ]


LAYERS = (  # (label, path fragment) — first match wins; own time (tottime) is summed per layer
    ("Django SQL compiler / query building", "django/db/models/sql"),
    ("Django ORM models, querysets, fields", "django/db/models"),
    ("Django DB wrapper (backends, transactions)", "django/db"),
    ("psycopg (client side)", "psycopg"),
    ("DRF (views, parsing, rendering)", "rest_framework"),
    ("Django request/response, middleware", "django/"),
    ("Redis client", "redis"),
    ("risk (rules, velocity)", "apps/risk"),
    ("routing", "apps/routing"),
    ("connectors (sandbox acquirer, gateway)", "apps/connectors"),
    ("vault (detokenize, crypto)", "apps/vault"),
    ("ledger", "apps/ledger"),
    ("intents", "apps/intents"),
    ("other apps", "apps/"),
    ("json", "json"),
    ("cryptography", "cryptography"),
)


def profile_layers(tenant, n: int) -> list[str]:
    """cProfile (CPU clock) over n create+confirm (in-process): own time per layer, as a share. cProfile's
    overhead inflates call-heavy code, so the shares are indicative, not the CPU figure."""
    import cProfile
    import pstats

    from django.test import Client

    secret, pm = tenant
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}
    profiler = cProfile.Profile(time.process_time)  # CPU time: waiting on PostgreSQL is not counted
    for i in range(n + 3):
        if i == 3:
            profiler.enable()
        client.post("/v1/payment_intents", body, content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
    profiler.disable()
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        label = next((name for name, part in LAYERS if part in filename), "other (stdlib, builtins)")
        totals[label] = totals.get(label, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    lines = [f"profile (cProfile, {n} create+confirm, own time per layer):"]
    for label, t in sorted(totals.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {t / whole * 100:5.1f} %  {t / n * 1000:6.2f} ms/confirm  {label}")
    lines.append("  top functions by own time:")
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:15]
    for (filename, lineno, name), (_, _, tottime, _, _) in top:
        where = "/".join(filename.split("/")[-3:])
        lines.append(f"  {tottime / whole * 100:5.1f} %  {name} ({where}:{lineno})")
    return lines


def setup_tenant(label: str) -> tuple:
    from apps.audit.services import Actor
    from apps.merchants.models import DEFAULT_PAYMENT_METHOD_TYPES, Merchant, MerchantSettings
    from apps.merchants.services import api_key_create
    from apps.vault.services import payment_method_create_card

    actor = Actor.system("bench")
    merchant = Merchant.objects.create(name=f"Bench {label} {uuid.uuid4().hex[:6]}")
    MerchantSettings.objects.get_or_create(
        merchant=merchant, defaults={"allowed_payment_method_types": list(DEFAULT_PAYMENT_METHOD_TYPES)}
    )
    _, secret = api_key_create(merchant=merchant, kind="secret", livemode=False, scopes=None, actor=actor)
    pm = payment_method_create_card(
        merchant=merchant, livemode=False, number=_visa_success(), exp_month=12, exp_year=2034,
        cvc="123", actor=actor,
    )  # fmt: skip
    return secret, pm.public_id


def confirm_cost(tenant, n: int) -> dict:
    """CPU (process time) and queries per create+confirm, in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    secret, pm = tenant
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}
    for _ in range(3):  # warm caches (compiled rule set, FX, connections)
        client.post("/v1/payment_intents", body, content_type="application/json")
    queries = []
    cpu = 0.0
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            start = time.process_time()
            resp = client.post(
                "/v1/payment_intents",
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
            cpu += time.process_time() - start
        assert resp.status_code == 200 and resp.json()["status"] == "succeeded", resp.content
        queries.append(len(ctx.captured_queries))
    return {"cpu_ms": cpu / n * 1000, "queries": statistics.mean(queries)}


def risk_cost(n: int = 200) -> dict:
    """The risk hooks' own cost per confirm (CPU ms, queries, Redis round trips), and the whole
    confirm with risk beside the confirm with the risk hooks unregistered."""
    from django.db import connection

    from apps.intents import hooks
    from apps.risk import store

    tenant = risk_setup()
    inside = {"cpu": 0.0, "queries": 0, "calls": 0, "round_trips": 0}
    registries = (hooks._PRE, hooks._AFTER, hooks._CAPTURE, hooks._PAYLOAD)
    saved = [list(r) for r in registries]

    def timed(fn):
        def wrapper(*args, **kwargs):
            start, before = time.process_time(), len(connection.queries)
            try:
                return fn(*args, **kwargs)
            finally:
                inside["cpu"] += time.process_time() - start
                inside["queries"] += len(connection.queries) - before

        return wrapper

    real_pipeline = store.pipeline

    def counting_pipeline():
        pipe = real_pipeline()
        execute = pipe.execute

        def counted():
            inside["round_trips"] += 1
            return execute()

        pipe.execute = counted
        return pipe

    for registry in registries:
        registry.clear()
    plain = confirm_cost(tenant, n)
    for registry, fns in zip(registries, saved, strict=True):
        registry.extend(timed(fn) for fn in fns)
    store.pipeline = counting_pipeline
    connection.force_debug_cursor = True
    try:
        confirm_cost(tenant, 3)  # warm
        inside.update(cpu=0.0, queries=0, round_trips=0)
        with_risk = confirm_cost(tenant, n)
    finally:
        connection.force_debug_cursor = False
        store.pipeline = real_pipeline
        for registry, fns in zip(registries, saved, strict=True):
            registry[:] = fns
    return {
        "plain": plain,
        "risk": with_risk,
        "inside_cpu_ms": inside["cpu"] / n * 1000,
        "inside_queries": inside["queries"] / n,
        "inside_round_trips": inside["round_trips"] / n,
    }


def risk_lines(r: dict) -> list[str]:
    return [
        f"confirm, risk hooks off (in-process): CPU {r['plain']['cpu_ms']:.2f} ms/confirm, "
        f"{r['plain']['queries']:.1f} queries",
        f"confirm, 20 rules + 2 value lists:    CPU {r['risk']['cpu_ms']:.2f} ms/confirm, "
        f"{r['risk']['queries']:.1f} queries",
        f"risk hooks alone per confirm:         CPU {r['inside_cpu_ms']:.2f} ms, {r['inside_queries']:.1f} queries "
        f"(value-list lookup + decision insert), {r['inside_round_trips']:.1f} Redis round trips",
    ]


def client_loop(args) -> list[tuple[float, int]]:
    port, path, tenants, offset, deadline, warm_until = args
    samples = []
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    i = offset
    while time.time() < deadline:
        headers = {"Content-Type": "application/json"}
        if tenants:
            secret, pm = tenants[i % len(tenants)]
            body = json.dumps({"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True})
            headers["Authorization"] = f"Bearer {secret}"
            headers["Idempotency-Key"] = uuid.uuid4().hex
        else:
            body = "{}"
        i += 1
        start = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
        except (http.client.HTTPException, OSError):
            status = 599
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        if time.time() >= warm_until:
            samples.append((time.perf_counter() - start, status))
    conn.close()
    return samples


def load(port: int, path: str, tenants, *, clients: int, duration: float, warmup: float = 3.0) -> dict:
    now = time.time()
    warm_until = now + warmup
    deadline = warm_until + duration
    jobs = []
    step = max(1, len(tenants) // clients) if tenants else 1
    for c in range(clients):
        # each client walks the merchant list from its own offset, so clients hit different merchants
        jobs.append((port, path, tenants, c * step, deadline, warm_until))
    with mp.get_context("fork").Pool(clients) as pool:
        results = pool.map(client_loop, jobs)
    samples = [s for r in results for s in r]
    ok = sorted(d for d, status in samples if status == 200)
    errors = len(samples) - len(ok)
    return {
        "rps": len(ok) / duration,
        "p50": statistics.median(ok) * 1000 if ok else float("nan"),
        "p99": ok[max(0, int(len(ok) * 0.99) - 1)] * 1000 if ok else float("nan"),
        "n": len(ok),
        "errors": errors,
        # CPU is read over warm-up + measured time; requests are counted over the measured time only
        "scale": (duration + warmup) / duration,
    }


def paced_loop(args) -> list[tuple[float, int]]:
    """Open loop: request i is due at start + i / rate; its latency counts from when it was due."""
    port, path, tenants, offset, rate, start, deadline, warm_until = args
    samples = []
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    i = 0
    while True:
        due = start + i / rate
        if due >= deadline:
            break
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        secret, pm = tenants[(offset + i) % len(tenants)]
        i += 1
        body = json.dumps({"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}",
                   "Idempotency-Key": uuid.uuid4().hex}  # fmt: skip
        for _attempt in (1, 2):  # a keep-alive connection the server closed while idle: reconnect once
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                break
            except (http.client.HTTPException, OSError):
                status = 599
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
        if due >= warm_until:
            samples.append((time.time() - due, status))
    conn.close()
    return samples


def paced(
    port: int, path: str, tenants, *, rate: float, clients: int, duration: float, warmup: float = 2.0
) -> dict:
    start = time.time() + 0.5
    warm_until, deadline = start + warmup, start + warmup + duration
    step = max(1, len(tenants) // clients)
    jobs = [(port, path, tenants, c * step, rate / clients, start + c / rate, deadline, warm_until)
            for c in range(clients)]  # fmt: skip
    with mp.get_context("fork").Pool(clients) as pool:
        samples = [s for r in pool.map(paced_loop, jobs) for s in r]
    ok = sorted(d for d, status in samples if status == 200)
    return {
        "rps": len(ok) / duration,
        "p50": statistics.median(ok) * 1000 if ok else float("nan"),
        "p99": ok[max(0, int(len(ok) * 0.99) - 1)] * 1000 if ok else float("nan"),
        "n": len(ok),
        "errors": len(samples) - len(ok),
        "scale": (duration + warmup) / duration,
    }


# Serving configurations --serving can name (gunicorn arguments, environment): the shipped
# config/gunicorn.py, and the issue-21 candidates. DATABASE_POOL="<min>:<max>" per process
# (config/settings.py) replaces the persistent connection with Django's psycopg pool.
SERVING = {
    "config": ([], {}),
    "gthread-2x4": (["--workers", "2", "--threads", "4"], {"DATABASE_POOL": ""}),
    "gthread-2x4-pool": (["--workers", "2", "--threads", "4"], {"DATABASE_POOL": "2:4"}),
    "sync-4": (["--workers", "4", "--threads", "1"], {"DATABASE_POOL": ""}),
    "sync-4-pool": (["--workers", "4", "--threads", "1"], {"DATABASE_POOL": "1:2"}),
}


def gunicorn_args(serving: str = "config") -> list[str]:
    """The serving configuration under test: config/gunicorn.py (the Procfile's) plus the named
    configuration's arguments; BENCH_GUNICORN_ARGS adds more (e.g. "--workers 2 --threads 4")."""
    extra = os.environ.get("BENCH_GUNICORN_ARGS")
    args = ["-c", str(ROOT / "config/gunicorn.py"), *SERVING[serving][0]]
    return args + (extra.split() if extra else [])


def start_gunicorn(port: int, serving: str = "config") -> subprocess.Popen:
    # API_RATE_LIMIT: the default 6000/min per key would throttle the one-merchant run (all
    # traffic on one key); the benchmark measures the payment path, not the limiter's refusals.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.intents_settings",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT": os.environ.get("BENCH_API_RATE_LIMIT", "100000000/min"),
        **SERVING[serving][1],
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", *gunicorn_args(serving), "--bind", f"{HOST}:{port}",
         "--chdir", str(ROOT), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


def stop_gunicorn(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """user+system CPU seconds of these processes (Linux /proc)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two readings: processes alive at both, plus the whole CPU of those
    started in between (new connections); processes that exited in between are not counted."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [master, *map(int, children.read_text().split())]
    except OSError:
        return [master]


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def measured(fn, master: int) -> dict:
    """Runs one scenario and adds the CPU the gunicorn workers and the PostgreSQL backends spent
    per request (PostgreSQL's figure includes anything else using the server meanwhile)."""
    app_pids, db_pids = server_pids(master), postgres_pids()
    app_before, db_before = cpu_by_pid(app_pids), cpu_by_pid(db_pids)
    result = fn()
    app_after, db_after = cpu_by_pid(app_pids), cpu_by_pid(db_pids + postgres_pids())
    seen = max(result["n"] + result["errors"], 1) * result.get("scale", 1)
    result["app_cpu_ms"] = cpu_delta(app_before, app_after) / seen * 1000
    result["db_cpu_ms"] = cpu_delta(db_before, db_after) / seen * 1000
    return result


def line(label: str, r: dict) -> str:
    return (
        f"{label:<34} {r['rps']:>8.1f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
        f"n={r['n']} errors={r['errors']}  CPU/req app {r['app_cpu_ms']:.1f} ms, db {r['db_cpu_ms']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--merchants", type=int, default=100)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--risk-only", action="store_true", help="only the in-process risk scenario")
    parser.add_argument("--in-process-only", action="store_true", help="only the in-process scenarios")
    parser.add_argument("--risk-confirms", type=int, default=200)
    parser.add_argument("--confirms", type=int, default=200, help="in-process confirms per merchant kind")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many confirms, by layer")
    parser.add_argument("--hot-sql-compare", type=int, default=0, help="N confirms, CTE path vs ORM path")
    parser.add_argument(
        "--stack-confirms",
        type=int,
        default=100,
        help="in-process confirms per middleware stack (lean vs whole); 0 skips it",
    )
    parser.add_argument("--rule-merchants", type=int, default=4, help="merchants with routing+risk rule sets")
    parser.add_argument(
        "--serving",
        nargs="+",
        default=["config"],
        choices=sorted(SERVING),
        help="serving configurations to run over HTTP, interleaved",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the serving configurations")
    opts = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    if opts.risk_only:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        cache = os.environ["CACHE_URL"]
        print(f"risk scenario, {opts.risk_confirms} create+confirm each, cache {cache.split('://')[0]}")
        print("\n".join(risk_lines(risk_cost(opts.risk_confirms))))
        return
    tenants = setup(opts.merchants)
    from django.conf import settings
    from django.db import connection

    plain, full, full_tenant, tables = in_process(opts.confirms)
    risk = risk_cost(opts.risk_confirms)
    cache = os.environ["CACHE_URL"].split("://")[0]
    print(f"in-process: {opts.confirms} create+confirm per merchant kind, cache {cache}")
    print("\n".join(path_lines(plain, full)))
    print("\n".join(tables))
    print("\n".join(risk_lines(risk)))
    if os.environ.get("BENCH_SHOW_QUERIES"):
        print("\n".join(full["last"]))
    if opts.hot_sql_compare:
        print("\n".join(hot_sql_compare(full_tenant, opts.hot_sql_compare)))
    if opts.stack_confirms:
        print("\n".join(stack_lines(stack_cost(full_tenant, opts.stack_confirms), renderer_cost())))
    if opts.profile:
        print("\n".join(profile_layers(full_tenant, opts.profile)))
    if opts.in_process_only:
        return
    tenants["rules"] = [rule_set_tenant() for _ in range(opts.rule_merchants)]
    connection.close()
    db = settings.DATABASES["default"]
    print(f"PostgreSQL {db['HOST']}/{db['NAME']}; {opts.clients} clients; {opts.duration:.0f} s per scenario; "
          f"{opts.merchants} merchants ({len(tenants['rules'])} with routing+risk rule sets); "
          f"{opts.rounds} round(s) of {', '.join(opts.serving)}, interleaved")  # fmt: skip
    runs: dict[str, list[dict]] = {name: [] for name in opts.serving}
    for round_no in range(1, opts.rounds + 1):
        for name in opts.serving:
            run = http_run(opts, tenants, name)
            runs[name].append(run)
            env = " ".join(f"{k}={v}" for k, v in SERVING[name][1].items() if v)
            args = " ".join(gunicorn_args(name)[2:]) or "as config/gunicorn.py"
            print(f"-- {name} (round {round_no}): gunicorn {args} {env}")
            print("\n".join(http_lines(opts, run)))
    if opts.rounds > 1 or len(opts.serving) > 1:
        print(
            "summary (mean of rounds): req/s baseline / spread / one merchant / rule sets; "
            "confirm/baseline; one/spread; p99 at half max"
        )
        for name, rs in runs.items():
            mean = {k: statistics.mean(r[k]["rps"] for r in rs) for k in ("base", "spread", "hot", "rules")}
            print(f"  {name:<18} {mean['base']:7.1f} / {mean['spread']:6.1f} / {mean['hot']:6.1f} / "
                  f"{mean['rules']:6.1f}   {statistics.mean(r['spread']['rps'] / r['base']['rps'] for r in rs):.3f}"
                  f"   {statistics.mean(r['hot']['rps'] / r['spread']['rps'] for r in rs):.2f}   "
                  f"p99 {statistics.mean(r['half']['p99'] for r in rs):6.1f} ms "
                  f"(per round: {per_round(rs)})")  # fmt: skip


def per_round(rs: list[dict]) -> str:
    return ", ".join(f"{r['half']['p99']:.0f}" for r in rs)


def http_run(opts, tenants: dict, serving: str) -> dict:
    """One serving configuration over HTTP: baseline, create+confirm spread, on one merchant, on
    the rule-set merchants, then the open-loop run at half of the spread run's rate."""
    proc = start_gunicorn(opts.port, serving)
    path = "/v1/payment_intents"

    def closed(target, tenant_list):
        return measured(
            lambda: load(opts.port, target, tenant_list, clients=opts.clients, duration=opts.duration),
            proc.pid,
        )

    try:
        # the rule-set merchants several times: each worker process compiles their rule sets once
        warm(
            opts.port, [*tenants["spread"], *tenants["hot"] * 4, *tenants["rules"] * 8], clients=opts.clients
        )
        run = {"base": closed(BASELINE_PATH, None), "spread": closed(path, tenants["spread"])}
        run["hot"] = closed(path, tenants["hot"])
        run["rules"] = closed(path, tenants["rules"])
        run["half"] = measured(
            lambda: paced(opts.port, path, tenants["spread"], rate=run["spread"]["rps"] / 2,
                          clients=opts.clients, duration=opts.duration),
            proc.pid,
        )  # fmt: skip
    finally:
        stop_gunicorn(proc)
    return run


def _warm_one(args) -> int:
    port, tenant = args
    secret, pm = tenant
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    body = json.dumps({"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}",
               "Idempotency-Key": uuid.uuid4().hex}  # fmt: skip
    conn.request("POST", "/v1/payment_intents", body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def warm(port: int, tenants, *, clients: int) -> None:
    """One create+confirm per merchant before measuring: each worker's first request of a
    merchant fills the hot cache (key, merchant, settings, fees) and compiles its rule sets; in
    steady state an active merchant is warm (a confirm every few seconds, a 60 s TTL), so a
    short run that met most merchants once would measure only cold starts."""
    with mp.get_context("fork").Pool(clients) as pool:
        statuses = pool.map(_warm_one, [(port, t) for t in tenants])
    if any(s != 200 for s in statuses):
        raise SystemExit(f"warm-up failed: {sorted(set(statuses))}")


def http_lines(opts, run: dict) -> list[str]:
    base, spread, hot, rules, half = (run[k] for k in ("base", "spread", "hot", "rules", "half"))
    return [
        line("baseline (bare DRF insert, lean stack)", base),
        line(f"create+confirm, {opts.merchants} merchants", spread),
        line("create+confirm, one merchant", hot),
        line("create+confirm, routing+risk rule sets", rules),
        line(f"open loop at {spread['rps'] / 2:.0f} req/s (half max)", half),
        f"max throughput (closed loop, {opts.clients} clients): {spread['rps']:.1f} req/s",
        f"ratio confirm/baseline:        {spread['rps'] / base['rps']:.3f}  (aim >= 0.2)",
        f"ratio one-merchant/spread:     {hot['rps'] / spread['rps']:.2f}  (aim >= 0.8)",
        f"ratio rule sets/spread:        {rules['rps'] / spread['rps']:.2f}",
        f"p99 at half of max throughput: {half['p99']:.1f} ms (aim <= 30 ms)",
    ]


if __name__ == "__main__":
    main()
