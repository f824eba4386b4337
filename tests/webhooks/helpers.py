"""Real things for webhook tests: a local HTTP receiver thread, a Celery worker subprocess against
the test database and a Redis broker, and a private redis-server for the broker-outage test.
Every process started here is stopped by its pid."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from config.celery import app as celery_app
from tests.servers import database_url_for_current_test_db, free_port

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("WEBHOOKS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


# --- the seed's reference verifier (seed 001, "Webhook Verification"), as written there ---------
def verify_webhook_signature(payload: str, signature: str, secret: str) -> bool:
    """Verify webhook signature for security"""
    # Parse signature header
    elements = signature.split(",")
    timestamp = None
    signatures = []
    for element in elements:
        key, value = element.split("=", 1)
        if key == "t":
            timestamp = int(value)
        elif key.startswith("v"):
            signatures.append(value)
    if not timestamp or not signatures:
        return False
    # Check timestamp (prevent replay attacks)
    current_time = int(time.time())
    if abs(current_time - timestamp) > 300:  # 5 minutes tolerance
        return False
    # Verify signature
    signed_payload = f"{timestamp}.{payload}"
    expected_signature = hmac.new(secret.encode(), signed_payload.encode(), hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected_signature, signature) for signature in signatures)


# --- receiver -----------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


@dataclass
class Receiver:
    """Answers each POST with the next scripted response ("hang" blocks until released), or
    with `default` once the script is used up. With `gate` set, each request is held until that
    many are in flight at once (or 10 s pass): `max_in_flight` then shows whether the sender
    overlapped its requests, and by how much, without measuring any time."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: deque = field(default_factory=deque)
    default: int | str = 200
    body: bytes = b'{"ok":true}'
    released: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)
    gate: int = 0
    in_flight: int = 0
    max_in_flight: int = 0

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            assert len(self.requests) >= count, f"received {len(self.requests)} of {count} requests"
            return list(self.requests)

    def release(self) -> None:
        self.released.set()


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two sends: with Nagle on, the body waits for the client's
        # delayed ACK (~40 ms a request on Linux), a stall of this receiver, not of the sender.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.cond:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body, time.time()))
                action = receiver.script.popleft() if receiver.script else receiver.default
                receiver.in_flight += 1
                receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                receiver.cond.notify_all()
                if receiver.gate:
                    receiver.cond.wait_for(lambda: receiver.max_in_flight >= receiver.gate, timeout=10)
            try:
                if action == "hang":
                    receiver.released.wait(timeout=120)
                    action = 200
            finally:
                with receiver.cond:
                    receiver.in_flight -= 1
            self.send_response(int(action))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(receiver.body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(receiver.body)

    return Handler


@contextlib.contextmanager
def receiver_server():
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()


# --- broker and worker --------------------------------------------------------------------------


def _reset_publisher() -> None:
    # kombu keeps one pool per broker URL (process-global); forgetting the app's cached handles
    # makes the next publish pick the pool of the URL now configured.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def real_broker(url: str = REDIS_URL):
    """Switches this process from eager tasks to publishing to `url` on a queue of its own."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.get("broker_write_url"), conf.task_default_queue)
    queue = f"webhooks-test-{uuid.uuid4().hex[:10]}"
    conf.task_always_eager = False
    # broker_url itself gives way to the CELERY_BROKER_URL environment variable; the write URL
    # (what publishing uses) is read from the configuration first.
    conf.broker_write_url = url
    conf.task_default_queue = queue
    _reset_publisher()
    try:
        yield queue
    finally:
        _purge(url, queue)
        (conf.task_always_eager, conf.broker_write_url, conf.task_default_queue) = saved
        _reset_publisher()


def _purge(url: str, queue: str) -> None:
    import redis

    with contextlib.suppress(Exception):
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.delete(queue)
        client.close()


@dataclass
class Worker:
    proc: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def child_pids(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_worker(
    *,
    queue: str,
    tmp_path: Path,
    broker_url: str = REDIS_URL,
    pool: str = "solo",
    concurrency: int = 1,
    extra_env: dict | None = None,
) -> Worker:
    log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_current_test_db(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE": "true",
        "CONN_MAX_AGE": "0",
        **(extra_env or {}),
    }
    log = open(log_path, "wb")  # noqa: SIM115 (closed when the process ends)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery",
            "worker",
            "-Q",
            queue,
            "-P",
            pool,
            "-c",
            str(concurrency),
            "-n",
            f"{queue}-{uuid.uuid4().hex[:4]}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = Worker(proc, log_path)
    deadline = time.monotonic() + 60
    while " ready." not in worker.log():
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited:\n{worker.log()[-3000:]}")
        if time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"celery worker did not start:\n{worker.log()[-3000:]}")
        time.sleep(0.1)
    return worker


@contextlib.contextmanager
def worker_running(**kwargs):
    worker = start_worker(**kwargs)
    try:
        yield worker
    finally:
        worker.stop()


@contextlib.contextmanager
def private_redis():
    """A redis-server of our own (the shared one on 6379 serves other test runs)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisProcess(proc=proc, port=port)
    server.wait_ready()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class RedisProcess:
    proc: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def wait_ready(self) -> None:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def start_again(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready()


def wait_until(predicate, *, timeout: float = 60.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)
