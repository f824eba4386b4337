import pytest

from tests.webhooks.helpers import receiver_server


@pytest.fixture
def receiver():
    with receiver_server() as r:
        yield r


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """The test machine has no DNS: public test hosts resolve to a public documentation address,
    IP literals and localhost resolve for real."""
    import socket

    from apps.webhooks import ssrf

    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in ("example.com", "hooks.example.com", "merchant.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
