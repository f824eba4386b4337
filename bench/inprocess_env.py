"""The environment of the in-process confirm benches (confirm_writes.py, confirm_statements.py),
imported before Django: the checkout whose code runs (``BENCH_ROOT``, default this one — an A/B
runs the same script against another checkout's code and its own database), bench/ importable,
and the defaults a bench needs when nothing is set (its own database, in-memory broker and cache,
the bench settings)."""

import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(Path(__file__).resolve().parent))
os.chdir(ROOT)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clearhouse_intents_bench")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.intents_settings")
os.environ.setdefault("ADMIN_2FA_REQUIRED", "false")
