"""The production-like setup as the README starts it (issue 12): honcho runs Procfile.production —
nginx rendered by `manage.py nginx_config`, gunicorn from config/gunicorn.py, the Celery worker and
beat — with CLEARHOUSE_ENV=production and fresh secrets. Through its front door the API answers
while 50 slow clients hold their connections, and no log of any of the four processes holds a key.
honcho is stopped by its pid (SIGTERM: it stops its processes, each by its own pid)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.core.test_demo_secrets import FRESH, NAMES
from tests.core.test_slow_clients import (
    NGINX,
    SECRET,
    needs_nginx,
    ordinary_requests,
    slow_clients,
    still_open,
)
from tests.merchants.factories import api_key_create
from tests.servers import database_url_for_current_test_db, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [needs_nginx, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_health(url: str, proc: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"Procfile.production did not come up:\n{output.read_text(errors='replace')[-3000:]}")


def test_procfile_production_serves_through_nginx_despite_50_slow_clients_and_logs_no_key(merchant, tmp_path):
    _, sk = api_key_create(merchant)
    port, upstream = free_port(), free_port()
    dropped = (*NAMES, "CLEARHOUSE_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "BIND", "HOST", "PORT")
    env = {
        **{k: v for k, v in os.environ.items() if k not in dropped},
        **FRESH,
        "CLEARHOUSE_ENV": "production",
        "DATABASE_URL": database_url_for_current_test_db(),
        "UPSTREAM": f"127.0.0.1:{upstream}",
        "NGINX": NGINX,
        "NGINX_VAR_DIR": str(tmp_path / "nginx"),
        "CONN_MAX_AGE": "0",
    }
    output = tmp_path / "honcho.log"
    with open(output, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "honcho", "-f", "Procfile.production", "start", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, proc, output)
        assert ordinary_requests(url, sk, count=3) == [200] * 3
        with slow_clients(url) as socks:
            assert ordinary_requests(url, sk) == [200] * 20
            assert all(still_open(sock) for sock in socks)
        # The worker and beat are up too (honcho prefixes each line with its process name).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = output.read_text(errors="replace")
            if "celery@" in text and "beat: Starting" in text:
                break
            time.sleep(0.5)
        assert "celery@" in text and "beat: Starting" in text, text[-3000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    logs = output.read_text(errors="backslashreplace")
    for path in (tmp_path / "nginx").glob("*.log"):
        logs += path.read_text(errors="backslashreplace")
    assert '"GET /v1/account HTTP/1.1" 200' in (tmp_path / "nginx" / "access.log").read_text()
    for process in ("web.1", "worker.1", "beat.1"):  # each wrote its own lines (nginx logs to files)
        assert re.search(rf"^\S+ {re.escape(process)}\s+\| ", logs, re.MULTILINE), process
    assert re.search(r"^\S+ system\s+\| proxy\.1 started", logs, re.MULTILINE)
    assert sk not in logs and not SECRET.search(logs)
    assert "Refusing to start" not in logs
    # Every process honcho started has stopped: nothing answers on either port.
    for address in (url, f"http://127.0.0.1:{upstream}"):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{address}/health", timeout=2)
