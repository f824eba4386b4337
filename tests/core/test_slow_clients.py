"""Slow clients (issue 12): connections that send part of a request and wait hold gunicorn's
threads; the production-like setup puts nginx (config/nginx.conf, rendered by apps.core.nginx) in
front, which reads every request whole before gunicorn sees it. Real processes: gunicorn from
config/gunicorn.py (2 workers x 4 threads, as shipped) and nginx, each stopped by its pid."""

import contextlib
import os
import re
import shutil
import socket
import subprocess

import pytest
import requests

from apps.core import nginx
from tests.merchants.factories import api_key_create
from tests.servers import free_port, gunicorn_from_config, serving

NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
needs_nginx = pytest.mark.skipif(
    not os.access(NGINX, os.X_OK),
    reason="nginx is not installed (apt-get install -y nginx; .ci/run installs it)",
)
SLOW_CLIENTS = 50
# Per-request timeout of the ordinary requests: generous — a check that they are served at all.
REQUEST_TIMEOUT = 5
SHIPPED = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"}
SECRET = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+")


@contextlib.contextmanager
def nginx_in_front_of(upstream_url: str, var_dir, **render_options):
    """nginx with the repository's config rendered for a free port, proxying to `upstream_url`.
    Yields (url, var_dir)."""
    port = free_port()
    conf = nginx.write(
        var_dir, listen=f"127.0.0.1:{port}", upstream=upstream_url.removeprefix("http://"), **render_options
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(var_dir), "-e", str(var_dir / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    # SIGTERM on stop is nginx's fast shutdown: the master stops its workers.
    with serving(proc, url, name="nginx", diagnostics=lambda: proc.stderr.read().decode()):
        yield url


@contextlib.contextmanager
def slow_clients(url: str, count: int = SLOW_CLIENTS):
    """`count` connections that each send the request line and part of the headers, then wait."""
    host, port = url.removeprefix("http://").split(":")
    socks = []
    try:
        for i in range(count):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(b"GET /v1/account HTTP/1.1\r\nHost: %s\r\nX-Slow-Client: %d" % (host.encode(), i))
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def still_open(sock: socket.socket) -> bool:
    """True when the server has neither answered nor closed this connection."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # an answer, or b"" for a close
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def ordinary_requests(url: str, sk: str, count: int = 20) -> list[int]:
    return [
        requests.get(f"{url}/v1/account", auth=(sk, ""), timeout=REQUEST_TIMEOUT).status_code
        for _ in range(count)
    ]


@needs_nginx
@pytest.mark.django_db(transaction=True)
def test_nginx_in_front_keeps_serving_while_50_slow_clients_hold_their_connections(merchant, tmp_path):
    _, sk = api_key_create(merchant)
    (tmp_path / "gunicorn").mkdir()
    with (
        gunicorn_from_config(tmp_path / "gunicorn", extra_env=SHIPPED) as (upstream, _),
        # A header timeout longer than the test, so the slow clients are held all along.
        nginx_in_front_of(upstream, tmp_path / "nginx", client_header_timeout=120) as url,
        slow_clients(url) as socks,
    ):
        assert ordinary_requests(url, sk) == [200] * 20
        # The slow clients were really there: nginx holds every one of them, unanswered.
        assert all(still_open(sock) for sock in socks)
        # nginx reads the request whole: gunicorn saw none of the slow ones.
        assert ordinary_requests(upstream, sk, count=2) == [200, 200]


@needs_nginx
@pytest.mark.django_db(transaction=True)
def test_bare_gunicorn_is_blocked_by_the_same_slow_clients(merchant, tmp_path):
    """The control: without nginx, the same 50 connections hold every gunicorn thread and an
    ordinary request is not served (so it is the proxy that helps). One worker (4 threads), so
    that which worker accepts which connection cannot matter: its first four connections take the
    threads and block reading their headers; the rest, the ordinary request last, wait behind."""
    _, sk = api_key_create(merchant)
    with gunicorn_from_config(tmp_path, extra_env={"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4"}) as (
        url,
        _,
    ):
        assert ordinary_requests(url, sk, count=1) == [200]
        with slow_clients(url), pytest.raises(requests.RequestException):
            requests.get(f"{url}/v1/account", auth=(sk, ""), timeout=REQUEST_TIMEOUT)
        # Once they let go, it serves again.
        assert ordinary_requests(url, sk, count=1) == [200]


@needs_nginx
@pytest.mark.django_db(transaction=True)
def test_nginx_drops_a_client_that_does_not_finish_its_headers(merchant, tmp_path):
    (tmp_path / "gunicorn").mkdir()
    with (
        gunicorn_from_config(tmp_path / "gunicorn") as (upstream, _),
        nginx_in_front_of(upstream, tmp_path / "nginx", client_header_timeout=1) as url,
        slow_clients(url, count=1) as (sock,),
    ):
        sock.settimeout(30)  # generous: nginx's header timeout is 1 s
        # After client_header_timeout nginx resets the connection (reset_timedout_connection; no
        # 408 is sent): the read ends with a reset or EOF, not with our own timeout.
        try:
            received = sock.recv(1024)
        except ConnectionResetError:
            received = b""
        assert received == b""


@needs_nginx
@pytest.mark.django_db(transaction=True)
def test_through_nginx_metrics_are_refused_big_bodies_413_and_the_access_log_has_no_secret(
    merchant, tmp_path, settings
):
    _, sk = api_key_create(merchant)
    (tmp_path / "gunicorn").mkdir()
    with (
        gunicorn_from_config(tmp_path / "gunicorn", extra_env={"MEDIA_ROOT": str(tmp_path / "media")}) as (
            upstream,
            _,
        ),
        nginx_in_front_of(upstream, tmp_path / "nginx") as url,
    ):
        # gunicorn sees nginx's 127.0.0.1, but X-Forwarded-For says it came through a proxy.
        assert requests.get(f"{upstream}/metrics", timeout=10).status_code == 200
        assert requests.get(f"{url}/metrics", timeout=10).status_code == 403
        assert requests.get(f"{url}/v1/account", auth=(sk, ""), timeout=10).status_code == 200
        assert requests.get(f"{url}/v1/account?api_key={sk}", auth=(sk, ""), timeout=10).status_code == 200
        too_big = requests.post(
            f"{url}/v1/customers",
            data=b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
            headers={"Authorization": f"Bearer {sk}", "Content-Type": "application/json"},
            timeout=10,
        )
        assert too_big.status_code == 413
        # A file upload bigger than a JSON body may be (up to FILES_MAX_BYTES) gets through nginx.
        pdf = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n"
        uploaded = requests.post(
            f"{url}/v1/files",
            files={"file": ("evidence.pdf", pdf, "application/pdf")},
            data={"purpose": "dispute_evidence"},
            headers={"Authorization": f"Bearer {sk}"},
            timeout=30,
        )
        assert uploaded.status_code == 200, uploaded.text[:500]
        assert uploaded.json()["size"] == len(pdf)
        forged = requests.get(f"{url}/nowhere%0d%0a127.0.0.1%20forged", timeout=10)
        assert forged.status_code == 404
    text = (tmp_path / "nginx" / "access.log").read_text(errors="backslashreplace")
    assert '"GET /v1/account HTTP/1.1" 200' in text
    assert "api_key" not in text and sk not in text
    assert not SECRET.search(text)
    assert not any(line.startswith("127.0.0.1 forged") for line in text.splitlines())


def test_the_rendered_config_matches_django_and_refuses_unsafe_values(settings, tmp_path):
    text = nginx.render(listen="127.0.0.1:8000", upstream="127.0.0.1:8001", var_dir=tmp_path)
    assert "{{" not in text
    # Room for the largest file upload (POST /v1/files), never less than a JSON body's limit.
    limit = max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.FILES_MAX_BYTES + nginx.MULTIPART_OVERHEAD)
    assert f"client_max_body_size {limit};" in text and nginx.body_limit() == limit
    assert "daemon off;" in text and f"pid {tmp_path.resolve()}/nginx.pid;" in text
    assert "proxy_buffering on;" in text and "proxy_request_buffering on;" in text
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in text and "X-Real-IP $remote_addr" in text
    log_format = text[text.index("log_format") : text.index("access_log ")]
    for leak in ("$remote_user", "$request ", "$request_uri", "$args", "$query_string", "authorization"):
        assert leak not in log_format.lower()
    with pytest.raises(ValueError):
        nginx.render(listen="8000; include /etc/passwd", upstream="127.0.0.1:8001", var_dir=tmp_path)
