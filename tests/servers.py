"""Real servers for tests that must cross process boundaries (gunicorn workers against the test
database). Processes are stopped by their pid."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_current_test_db() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextlib.contextmanager
def serving(proc: subprocess.Popen, url: str, *, name: str, diagnostics):
    """Waits until `url`/health answers 200 (or the process dies: RuntimeError with the tail of
    `diagnostics()`), yields, then stops the process by its pid (SIGTERM, then SIGKILL)."""
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core machine can take a while to import Django
        while True:
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:  # stop it first: reading a live process's stderr blocks
                    proc.kill()
                    proc.wait()
                raise RuntimeError(f"{name} did not start: {diagnostics()[-2000:]}")
            time.sleep(0.1)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def gunicorn(*, workers: int = 2, threads: int = 4, extra_env: dict | None = None):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url_for_current_test_db(), **(extra_env or {})}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    with serving(proc, url, name="gunicorn", diagnostics=lambda: proc.stderr.read().decode()):
        yield url


@contextlib.contextmanager
def gunicorn_from_config(log_dir: Path, *, extra_env: dict | None = None):
    """The web process as the Procfile starts it (`-c config/gunicorn.py`: its bind, access-log
    format and logger), one worker, on a free loopback port. Yields (url, logs): `logs()` reads
    the access log, gunicorn's error log and the app's stdout/stderr captured so far."""
    port = free_port()
    access, error, output = log_dir / "access.log", log_dir / "error.log", log_dir / "output.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_current_test_db(),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": str(access),
        "GUNICORN_ERROR_LOG": str(error),
        **(extra_env or {}),
    }
    env.pop("BIND", None)
    env.pop("HOST", None)
    with open(output, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def logs() -> str:
        return "\n".join(
            p.read_text(errors="backslashreplace") for p in (access, error, output) if p.exists()
        )

    url = f"http://127.0.0.1:{port}"
    with serving(proc, url, name="gunicorn", diagnostics=logs):
        yield url, logs
