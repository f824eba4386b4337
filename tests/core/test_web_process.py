"""The web process as shipped (Procfile → config/gunicorn.py): loopback bind by default, an access
log that never records a credential, escaped log lines; /metrics only for its token or loopback."""

import re

import pytest
import requests

from tests.merchants.factories import api_key_create
from tests.servers import gunicorn_from_config

SECRET = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+")


@pytest.mark.django_db(transaction=True)
def test_no_secret_key_reaches_any_log_of_the_web_process(merchant, tmp_path):
    _, sk = api_key_create(merchant)
    _, rk = api_key_create(merchant, kind="restricted", scopes=["customers:read"])
    _, sk_live = api_key_create(merchant, livemode=True)
    with gunicorn_from_config(tmp_path) as (url, logs):
        assert url.startswith("http://127.0.0.1:")
        # The README's way: curl -u sk_test_…: (Basic auth, the key as user), and Bearer.
        assert requests.get(f"{url}/v1/account", auth=(sk, ""), timeout=10).status_code == 200
        assert requests.get(f"{url}/v1/customers", auth=(rk, ""), timeout=10).status_code == 200
        assert requests.get(f"{url}/v1/account", auth=(sk_live, ""), timeout=10).status_code == 200
        bearer = {"Authorization": f"Bearer {sk}"}
        created = requests.post(
            f"{url}/v1/webhook_endpoints",
            json={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]},
            headers=bearer,
            timeout=10,
        )
        assert created.status_code == 200, created.text
        whsec = created.json()["secret"]
        assert whsec.startswith("whsec_")
        # A revoked/unknown key, refused: the refusal is not logged with the key either.
        assert requests.get(f"{url}/v1/account", auth=(sk + "x", ""), timeout=10).status_code == 401
        wrong = requests.get(f"{url}/v1/account", headers={"Authorization": f"Bearer {rk}x"}, timeout=10)
        assert wrong.status_code == 401
        # Secrets in the query string and a cookie are not logged; a forged line is escaped.
        requests.get(f"{url}/v1/account?api_key={sk}&secret={whsec}", headers=bearer, timeout=10)
        requests.get(f"{url}/health", cookies={"sessionid": sk}, timeout=10)
        forged = requests.get(f"{url}/nowhere%0d%0a127.0.0.1%20forged%00", timeout=10)
        assert forged.status_code == 400  # NUL in the path is refused before routing (UnsafeTextMiddleware)
    text = logs()
    assert "/v1/account" in text and "/v1/webhook_endpoints" in text  # the access log was captured
    assert "/nowhere\\r\\n127.0.0.1 forged\\0" in text
    assert not any(line.startswith("127.0.0.1 forged") for line in text.splitlines())
    for secret in (sk, rk, sk_live, whsec):
        assert secret not in text
    assert not SECRET.search(text), SECRET.search(text)


def test_the_web_process_binds_loopback_unless_host_or_bind_opens_it(monkeypatch):
    import runpy

    monkeypatch.delenv("BIND", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.setenv("PORT", "8123")
    assert runpy.run_path("config/gunicorn.py")["bind"] == ["127.0.0.1:8123"]
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert runpy.run_path("config/gunicorn.py")["bind"] == ["0.0.0.0:8123"]
    monkeypatch.setenv("BIND", "unix:/tmp/clearhouse.sock")
    assert runpy.run_path("config/gunicorn.py")["bind"] == ["unix:/tmp/clearhouse.sock"]


@pytest.mark.django_db
def test_metrics_need_the_token_or_a_loopback_client(client, settings):
    settings.METRICS_TOKEN = "metrics-token-for-tests"
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", **remote).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **remote).status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-tests", **remote)
    assert ok.status_code == 200 and b"django_http_requests" in ok.content
    # Loopback without a token; but not through a proxy (its REMOTE_ADDR is loopback too).
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert proxied.status_code == 403
    assert (
        client.get(
            "/metrics",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
            HTTP_AUTHORIZATION="Bearer metrics-token-for-tests",
        ).status_code
        == 200
    )
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **remote).status_code == 403
