"""The developer platform in the embedded demo (`make run`: SQLite, no server): `load_demo`'s bulk
job runs its rows, the early fraud warning is stored and the test clock's advance expires its
payment — SQL that only PostgreSQL understands would fail here (the bulk job's row lookup did)."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_bulk_jobs_warnings_and_a_test_clock_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "true",  # the bulk job runs in load_demo's process
        "CLEARHOUSE_VAR_DIR": str(tmp_path),
        "CACHE_URL": "locmemcache://",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    demo = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "raised unexpected" not in demo.stderr, demo.stderr[-3000:]
    with sqlite3.connect(tmp_path / "embedded.sqlite3") as db:
        status, succeeded, failed = db.execute(
            "SELECT status, succeeded_rows, failed_rows FROM devtools_bulkjob"
        ).fetchone()
        warnings = db.execute("SELECT fraud_type, actionable FROM risk_earlyfraudwarning").fetchall()
        clock = db.execute("SELECT status, deleted_at, last_advance FROM devtools_testclock").fetchone()
        expired = db.execute(
            "SELECT status, cancellation_reason FROM intents_paymentintent WHERE order_id = 'demo-clock-1'"
        ).fetchone()
    assert (status, succeeded, failed) == ("completed_with_errors", 2, 1)
    assert warnings == [("unauthorized_use_of_card", 1)]
    assert clock[0] == "ready" and clock[1] is not None
    assert json.loads(clock[2])["done"]["intents.authorization_expiry"] == 1
    assert expired == ("canceled", "automatic")
