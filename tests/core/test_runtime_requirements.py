"""requirements/base.txt alone runs the production processes: a fresh virtualenv (no system
site-packages, nothing from the test requirements) gets base.txt and nothing else, then a Celery
worker and beat start against Redis and against RabbitMQ, and a task beat sends (from its
DatabaseScheduler on PostgreSQL) is run by the worker. A runtime import that only the test
requirements satisfied (kombu's Redis transport needed `packaging`) fails here."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection

from tests.servers import database_url_for_current_test_db

ROOT = Path(__file__).resolve().parents[2]
BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}

pytestmark = [pytest.mark.slow_install, pytest.mark.worker]


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory) -> Path:
    """A virtualenv with requirements/base.txt only (pip's own configuration and cache, as the
    project's venv was installed)."""
    venv = tmp_path_factory.mktemp("base-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix != sys.base_prefix); import django"],
        capture_output=True,
        text=True,
    )
    assert probe.stdout.startswith("True") and "ModuleNotFoundError" in probe.stderr, "not isolated"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements" / "base.txt")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return python


def _start(python: Path, args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [str(python), "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_for(marks: dict[Path, str], procs: list[subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        missing = {log: mark for log, mark in marks.items() if mark not in log.read_text(errors="replace")}
        if not missing:
            return
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2500:]}" for log in marks)
            pytest.fail(f"not ready ({'exited' if dead else 'timeout'}): waiting for {missing}\n{logs}")
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_base_requirements_alone_run_worker_and_beat(base_venv, broker, tmp_path):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    queue = f"clearhouse-install-{broker}-{uuid.uuid4().hex[:8]}"
    url = BROKERS[broker]
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=f"install check {queue}", task="celery.accumulate", interval=every, args="[42]", queue=queue
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "VIRTUAL_ENV", "PYTHONPATH", "DJANGO_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url_for_current_test_db(),
            "CELERY_BROKER_URL": url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CACHE_URL": "locmemcache://",
            "CLEARHOUSE_VAR_DIR": str(tmp_path),
        }
    )
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    name = f"install-{uuid.uuid4().hex[:8]}@%h"
    worker = _start(
        base_venv,
        [
            *("worker", "-n", name, "-Q", queue, "--concurrency", "1", "--loglevel", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        env,
        worker_log,
    )
    beat = None
    try:
        _wait_for({worker_log: " ready."}, [worker])
        beat = _start(
            base_venv,
            [
                *("beat", "--loglevel", "INFO"),
                *("--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"),
                *("--schedule", str(tmp_path / "beat-schedule")),
            ],
            env,
            beat_log,
        )
        # Beat is up (its DatabaseScheduler on PostgreSQL) and its task crossed the broker.
        _wait_for(
            {beat_log: "Sending due task install check", worker_log: "celery.accumulate"}, [worker, beat]
        )
        _wait_for({worker_log: "succeeded"}, [worker, beat])
    finally:
        for proc in (beat, worker):
            if proc is not None:
                _stop(proc)
        # Best effort: the queue may be gone already.
        with Connection(url, connect_timeout=5) as conn, contextlib.suppress(Exception):
            conn.default_channel.queue_delete(queue)
        if broker == "redis":
            import redis

            redis.Redis.from_url(url).delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
            )
    assert worker.returncode is not None and beat.returncode is not None
    text = worker_log.read_text() + beat_log.read_text()
    assert "ModuleNotFoundError" not in text and "ImportError" not in text
