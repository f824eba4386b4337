"""CPU-time profile of create+confirm by layer (issue 21), with a SIGPROF sampler.

    .venv/bin/python bench/confirm_cpu_layers.py [N]

On DATABASE_URL / CACHE_URL as bench/intents_confirm.py (whose setup it reuses): a merchant with
routing's and risk's rule sets, 10 warm-up confirms, then N create+confirm (default 500) while
``ITIMER_PROF`` samples the stack every 0.5 ms of *process CPU time* (the kernel's tick bounds it:
at HZ=250 one sample per 4 ms, so N=500 gives ~2,000+ samples). Unlike cProfile it adds no cost
per call, and unlike a wall-clock sampler it never counts time spent waiting on PostgreSQL or
Redis. A sample is charged to its innermost Python frame (C builtins to their Python caller),
and the frames' files give the layer. Run it from the repository root's parent or anywhere:
the path of this file picks the code.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.intents_settings")
os.environ.setdefault("ADMIN_2FA_REQUIRED", "false")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

LAYERS = (  # (label, path fragments): first match wins, on the innermost Python frame's file
    ("DRF (views, request parsing, serializers/validation)", ("rest_framework/",)),
    ("ORM SQL compiler / query building", ("django/db/models/sql", "django/db/models/expressions",
                                           "django/db/models/lookups", "django/db/models/query")),
    ("ORM model instances, fields, managers", ("django/db/models/",)),
    ("Django DB wrapper (backends, transactions)", ("django/db/",)),
    ("psycopg (client side)", ("psycopg",)),
    ("Redis client (redis-py, django-redis)", ("/redis/", "django_redis")),
    ("broker publish (celery, kombu)", ("/celery/", "/kombu/")),
    ("routing", ("apps/routing",)),
    ("risk", ("apps/risk",)),
    ("rendering (payload dicts, orjson renderer)", ("payloads.py", "apps/core/renderers", "apps/core/expand")),
    ("middleware, auth, throttling", ("apps/core/middleware", "apps/merchants/authentication",
                                      "apps/merchants/cache", "apps/core/throttling", "apps/audit/middleware",
                                      "django/core/handlers", "django/middleware", "django_prometheus",
                                      "structlog", "django/contrib", "apps/core/logging", "django/urls")),
    ("our services (intents, ledger, vault, connectors, webhooks, audit, core)", ("/apps/",)),
    ("asgiref / django.utils (connection proxies, lazy objects, signals)", ("asgiref", "django/utils",
                                                                             "django/dispatch", "django/conf")),
    ("other (test client, stdlib, builtins)", ("",)),
)  # fmt: skip


def main() -> None:
    import bench.intents_confirm as bench

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    bench.ensure_database(os.environ["DATABASE_URL"])
    bench.setup(0)
    secret, pm = bench.rule_set_tenant()
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"amount": 1999, "currency": "usd", "payment_method": pm, "confirm": True}

    def post():
        resp = client.post("/v1/payment_intents", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
        assert resp.status_code == 200 and resp.json()["status"] == "succeeded", resp.content

    for _ in range(10):
        post()
    samples: collections.Counter = collections.Counter()

    def sample(signum, frame):
        samples[frame.f_code.co_filename if frame is not None else ""] += 1

    signal.signal(signal.SIGPROF, sample)
    start = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, 0.0005, 0.0005)
    for _ in range(n):
        post()
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    cpu = (time.process_time() - start) / n * 1000
    totals: collections.Counter = collections.Counter()
    for filename, count in samples.items():
        totals[next(label for label, parts in LAYERS if any(p in filename for p in parts))] += count
    whole = sum(totals.values()) or 1
    print(f"{n} create+confirm (routing+risk rule sets): {cpu:.2f} ms CPU per confirm, {whole} samples")
    for label, _ in LAYERS:
        print(f"  {totals[label] / whole * 100:5.1f} %  {cpu * totals[label] / whole:6.2f} ms  {label}")


if __name__ == "__main__":
    main()
