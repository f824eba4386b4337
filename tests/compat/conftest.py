"""The official stripe-python SDK, unchanged, against a live Clearhouse server (pytest-django's
live_server, a real HTTP server in a thread over the test database)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.merchants.factories import MerchantFactory, api_key_create


@pytest.fixture(autouse=True)
def _keep_connections_open(monkeypatch):
    """In-process servers share the test's connection settings; Django's request_finished
    handler would close a connection the test still uses (DESIGN.md, known traps)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def compat_merchant(transactional_db):
    return MerchantFactory(name="SDK Shop")


@pytest.fixture
def sdk(live_server, compat_merchant) -> stripe.StripeClient:
    _, secret = api_key_create(compat_merchant, kind="secret")
    http = stripe.RequestsClient()
    return stripe.StripeClient(
        secret,
        base_addresses={"api": live_server.url},
        max_network_retries=0,
        http_client=http,
    )


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append((dict(self.headers.items()), self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"received": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook receiver on the loopback interface, recording what it is sent."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield server
    server.shutdown()
    server.server_close()


def body_of(received) -> dict:
    return json.loads(received[1])
