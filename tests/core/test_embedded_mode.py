"""The embedded default really runs scheduled jobs: SQLite file + filesystem broker, a real
Celery beat and worker, no server of any kind."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_beat_and_worker_run_scheduled_jobs_on_sqlite_and_filesystem_broker(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CLEARHOUSE_VAR_DIR": str(tmp_path),
        "CACHE_URL": "locmemcache://",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    # The demo data of `make run` goes through every app's services on SQLite (catches SQL that
    # only PostgreSQL understands on the payment, ledger and payout paths).
    demo = subprocess.run(
        [sys.executable, "manage.py", "load_demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Clearhouse demo is ready." in demo.stdout
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        deadline = time.monotonic() + 90
        row = None
        while time.monotonic() < deadline and row is None:
            time.sleep(1)
            with sqlite3.connect(tmp_path / "embedded.sqlite3") as db:
                row = db.execute(
                    "SELECT last_run_at FROM core_schedulerheartbeat WHERE name = 'beat'"
                ).fetchone()
        assert row is not None, "beat + worker did not run the heartbeat job within 90 s"
        with sqlite3.connect(tmp_path / "embedded.sqlite3") as db:
            names = {r[0] for r in db.execute("SELECT name FROM django_celery_beat_periodictask")}
        assert "core.scheduler_heartbeat" in names  # schedules live in django-celery-beat's tables
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
