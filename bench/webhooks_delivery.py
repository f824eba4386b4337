"""Webhook delivery throughput and commit→delivery lag, with real Celery workers and Redis.

    .venv/bin/python bench/webhooks_delivery.py [--backlog 3000] [--rate 100] [--seconds 20]
        [--workers 1 --pool prefork --concurrency 2] [--latency-ms 0]

Uses DATABASE_URL (default: database clearhouse_webhooks_bench, created and migrated if missing)
and CELERY_BROKER_URL (default redis://127.0.0.1:6379/5) on a queue of its own. A local HTTP
receiver (thread per connection, keep-alive, Nagle off, answers 200 after `--latency-ms`)
records when each event first arrives. Two worker processes: by default the Procfile's worker
(one Celery worker, prefork, 2 pool processes, prefetch 1, acks_late); `--workers 2 --pool solo
--concurrency 1` runs two solo-pool workers instead. A thread of this script runs the delivery
sweeper every 5 s, as beat does.

1. Throughput: with no worker running, `--backlog` events are committed (each one's fan-out is
   published on commit); then the worker starts and drains them: fan-out + signed POST +
   attempt recorded. Prints deliveries per second from worker ready to the last arrival and to
   the last outcome recorded, and the worker processes' CPU per delivery (utime+stime from
   /proc, less noisy than wall time on a shared machine).
2. Lag: with the worker running, events are committed at a fixed offered `--rate` per second
   for `--seconds` (each commit started on schedule by one of `--emitters` threads, so a slow
   commit on a loaded machine does not lower the rate offered); prints the rate achieved and the
   commit→delivery lag p50 / p99 / max (commit = right after COMMIT returns; delivery = the
   receiver has the request).

Every process started here is stopped by its pid at the end and the queue is deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUE = f"webhooks-bench-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clearhouse_webhooks_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("CACHE_URL", "locmemcache://bench")
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

ARRIVALS: dict[str, float] = {}
LOCK = threading.Lock()
RECEIVER_CPU = [0.0]  # thread CPU seconds spent handling requests


class Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of new keep-alive connections (a sender
    # opening its pool) overflows it, the kernel drops the SYN, and the client retransmits it
    # after Linux's 1 s initial RTO — the 1.3 s lag outliers (TcpExtListenOverflows counts them).
    request_queue_size = 1024
    daemon_threads = True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The stdlib server writes the status line/headers and the body in two sends: with Nagle on,
    # the body waits for the client's delayed ACK (40 ms on Linux) — a stall of this receiver,
    # not of the sender (it made every delivery take 43 ms before issue 21 item 3).
    disable_nagle_algorithm = True
    latency = 0.0  # --latency-ms: a receiver that takes this long to answer (a real one's round trip)

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        # The receiver's own CPU (request parsing included), to tell whether it is the bottleneck.
        started = time.thread_time()
        try:
            super().handle_one_request()
        finally:
            spent = time.thread_time() - started
            with LOCK:
                RECEIVER_CPU[0] += spent

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        now = time.time()
        event_id = json.loads(body)["id"]
        with LOCK:
            ARRIVALS.setdefault(event_id, now)
        if self.latency:
            time.sleep(self.latency)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_worker(pool: str, concurrency: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (kept open for the worker's lifetime)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config.celery", "worker", "-Q", QUEUE, "-P", pool,
         "-c", str(concurrency), "-n", f"{QUEUE}-{log_path.stem[-1]}@%h", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "-l", "INFO"],
        cwd=ROOT, env={**os.environ, "LOG_LEVEL": "INFO"}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker did not start:\n{log_path.read_text()[-2000:]}")
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(ids: list[str], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while True:
        with LOCK:
            missing = [i for i in ids if i not in ARRIVALS]
        if not missing:
            with LOCK:
                return max(ARRIVALS[i] for i in ids)
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(missing)} of {len(ids)} events never arrived")
        time.sleep(0.02)


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen queue was full (host-wide)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split(), strict=True))["ListenOverflows"])
    return 0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes and their children (the prefork pool), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    family = set(pids)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid in family or ppid in family:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def cpu_by_thread(pids: list[int]) -> dict[tuple[int, int], tuple[str, float]]:
    """utime + stime of each thread of these processes and their children, labelled by part:
    the webhooks threads name themselves (apps.webhooks.sender.name_native_thread); a pool
    process's other threads run the Celery tasks; the worker's parent process is the prefork
    parent (or a solo worker's consumer)."""
    tick = os.sysconf("SC_CLK_TCK")
    family = set(pids)
    found: dict[tuple[int, int], tuple[str, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, ppid = int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        if pid not in family and ppid not in family:
            continue
        for task in (stat.parent / "task").glob("[0-9]*"):
            try:
                comm = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if comm.startswith("webhooks-"):
                label = comm
            elif pid in family:
                label = "worker parent (consumer, prefork pipes)"
            else:
                label = "pool process: Celery task thread and others"
            found[(pid, int(task.name))] = (label, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_split(before: dict, after: dict, count: int) -> str:
    parts: dict[str, float] = {}
    for key, (label, seconds) in after.items():
        parts[label] = parts.get(label, 0.0) + seconds - before.get(key, (label, 0.0))[1]
    return ", ".join(f"{label} {sec / count * 1000:.2f}" for label, sec in sorted(parts.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="offered events per second (lag phase)")
    parser.add_argument("--seconds", type=float, default=20.0)
    # Two worker processes: by default the Procfile's worker (prefork, 2 pool processes);
    # `--workers 2 --pool solo --concurrency 1` spends less CPU per delivery (no prefork parent
    # and pipes) but showed a worse lag.
    parser.add_argument("--workers", type=int, default=1, help="Celery worker instances")
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("--concurrency", type=int, default=2, help="pool size per worker (processes)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the receiver's answer delay")
    parser.add_argument(
        "--emitters", type=int, default=8, help="threads committing the lag phase's events on schedule"
    )
    args = parser.parse_args()
    Handler.latency = args.latency_ms / 1000

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from apps.audit.services import Actor
    from apps.merchants.models import Merchant
    from apps.webhooks import services
    from apps.webhooks.models import Delivery

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    merchant = Merchant.objects.create(name=f"Bench {QUEUE}")
    endpoint, _ = services.webhook_endpoint_create(
        merchant=merchant, livemode=False, url=url, enabled_events=["*"], actor=Actor.system("bench")
    )
    data = {
        "id": "pi_bench",
        "object": "payment_intent",
        "amount": 2000,
        "currency": "usd",
        "status": "succeeded",
    }
    commits: dict[str, float] = {}

    def emit() -> str:
        with transaction.atomic():
            holder: dict = {}
            # Registered first, so it runs right after COMMIT, before the fan-out is published.
            transaction.on_commit(lambda: holder.__setitem__("t", time.time()))
            event = services.event_record(
                merchant=merchant, livemode=False, type="payment_intent.succeeded", data=data
            )
        commits[event.public_id] = holder["t"]
        return event.public_id

    swept = {"n": 0}
    stopping = threading.Event()

    def beat():  # the beat's deliveries_sweep every 5 s (leases expired, deferred rows)
        from django.db import connection

        while not stopping.wait(5.0):
            swept["n"] += services.deliveries_sweep()
        connection.close()

    def recorded(count: int) -> bool:
        return Delivery.objects.filter(endpoint=endpoint, status="succeeded").count() >= count

    workers: list[subprocess.Popen] = []
    try:
        # 1. throughput: drain a backlog
        started = time.monotonic()
        backlog = [emit() for _ in range(args.backlog)]
        produce_s = time.monotonic() - started
        threading.Thread(target=beat, daemon=True).start()
        workers = [
            start_worker(args.pool, args.concurrency, Path(f"/tmp/{QUEUE}-{n}.log"))
            for n in range(args.workers)
        ]
        pids = [w.pid for w in workers]
        cpu0 = cpu_seconds(pids)
        threads0 = cpu_by_thread(pids)
        with LOCK:
            receiver0 = RECEIVER_CPU[0]
        bench0 = time.process_time()
        overflows0 = listen_overflows()
        ready = time.time()
        last = wait_for(backlog, timeout=600)
        while not recorded(len(backlog)):
            time.sleep(0.02)
        done = time.time()
        cpu1 = cpu_seconds(pids)
        threads1 = cpu_by_thread(pids)
        with LOCK:
            receiver1 = RECEIVER_CPU[0]
        bench1 = time.process_time()
        print(
            f"backlog: {args.backlog} events committed in {produce_s:.1f}s ({args.backlog / produce_s:.0f}/s)"
        )
        print(
            f"throughput ({args.workers} worker(s) -P {args.pool} -c {args.concurrency}, receiver "
            f"{args.latency_ms:.0f} ms): {args.backlog} deliveries arrived in {last - ready:.2f}s = "
            f"{args.backlog / (last - ready):.0f}/s; all recorded in {done - ready:.2f}s = "
            f"{args.backlog / (done - ready):.0f} deliveries/s; worker CPU "
            f"{(cpu1 - cpu0) / args.backlog * 1000:.2f} ms per delivery (fan-out + send + record)"
        )
        print(f"worker CPU by part, ms per delivery: {cpu_split(threads0, threads1, args.backlog)}")
        print(
            f"receiver CPU {(receiver1 - receiver0) / args.backlog * 1000:.2f} ms per delivery (its request "
            f"threads; this whole bench process {(bench1 - bench0) / args.backlog * 1000:.2f} ms)"
        )

        # 2. lag at a fixed offered rate
        interval = 1.0 / args.rate
        futures = []
        next_at = lag_started = time.monotonic()
        end = next_at + args.seconds
        with ThreadPoolExecutor(max_workers=args.emitters) as emitters:
            while time.monotonic() < end:
                futures.append(emitters.submit(emit))
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            steady = [f.result() for f in futures]
        achieved = len(steady) / (time.monotonic() - lag_started)
        wait_for(steady, timeout=120)
        lags = [(ARRIVALS[i] - commits[i]) * 1000 for i in steady]
        print(
            f"lag commit→delivery at {args.rate:.0f} events/s offered ({achieved:.0f}/s committed) for "
            f"{args.seconds:.0f}s ({len(steady)} events): p50 {statistics.median(lags):.1f} ms, "
            f"p99 {pct(lags, 0.99):.1f} ms, max {max(lags):.1f} ms"
        )
        deadline = time.monotonic() + 60
        while not recorded(len(backlog) + len(steady)) and time.monotonic() < deadline:
            time.sleep(0.1)
        ok = Delivery.objects.filter(endpoint=endpoint, status="succeeded").count()
        print(f"listen queue overflows on this host during the run: {listen_overflows() - overflows0}")
        with LOCK:
            arrivals = len(ARRIVALS)
        print(
            f"deliveries recorded succeeded: {ok} of {len(backlog) + len(steady)}; events received "
            f"{arrivals}; requests re-published by the sweeper: {swept['n']}"
        )
    finally:
        stopping.set()
        for worker in workers:
            stop(worker)
        server.shutdown()
        import redis

        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete(QUEUE)


if __name__ == "__main__":
    main()
