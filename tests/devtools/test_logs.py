"""What the developer platform logs never holds a secret: the API key, the card number (captured
at DEBUG from every logger, then scanned)."""

import logging

import pytest

from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def test_simulations_bulk_jobs_and_graphql_log_no_key_and_no_card_number(
    api, merchant, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    pm = make_card(merchant, "4000000000005126")
    intent = pay(api, pm, amount=5000).json()
    refund = api.post("/v1/refunds", {"payment_intent": intent["id"]}, format="json").json()
    api.post("/v1/test_helpers/simulate", {"type": "refund.failed", "object": refund["id"]}, format="json")
    api.post(
        "/v1/test_helpers/simulate", {"type": "charge.dispute.created", "object": intent["id"]}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/v1/payment_intents/bulk",
            [
                {"amount": 100, "currency": "usd", "payment_method": pm.public_id, "confirm": True},
                {"amount": "x"},
            ],
            format="json",
        )
    api.post(
        "/graphql",
        {"query": "{ paymentIntents { edges { node { id latestCharge { last4 } } } } }"},
        format="json",
    )
    api.post("/graphql", {"query": "{ broken"}, format="json")
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert len(caplog.records) > 0
    assert api.api_key_plaintext not in text
    assert api.api_key_plaintext.split("_")[-1] not in text  # not even the secret part alone
    assert "4000000000005126" not in text and "4000 0000 0000 5126" not in text


def _json_lines(stream) -> list[dict]:
    import json

    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_logs_carry_request_merchant_and_key_prefix_and_never_a_secret(api, merchant, monkeypatch):
    """LOG_FORMAT=json's formatter on a real request: a record logged while the API serves it has
    the request id, the merchant and the key's display prefix; a key or card number written into a
    message is cut out."""
    import io

    from apps.core.logging import JsonFormatter, RequestIdFilter
    from apps.devtools.api import views

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    log = logging.getLogger("clearhouse.test_json")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    real = views.faucet_cards
    key = api.api_key_plaintext

    def logging_cards():
        log.info("listing cards for %s, 4242 4242 4242 4242 and whsec_abc123DEF", key, extra={"count": 3})
        return real()

    monkeypatch.setattr(views, "faucet_cards", logging_cards)
    try:
        resp = api.get("/v1/test_helpers/faucet")
        log.warning("outside any request")
    finally:
        log.removeHandler(handler)
    inside, outside = _json_lines(stream)
    assert inside["request_id"] == resp["Request-Id"]
    assert (inside["merchant"], inside["level"], inside["logger"], inside["count"]) == (
        merchant.public_id, "INFO", "clearhouse.test_json", 3,
    )  # fmt: skip
    assert inside["api_key"] == key[:16] and key.startswith(inside["api_key"])
    assert inside["ts"].endswith("+00:00")
    raw = stream.getvalue()
    assert key not in raw and key[16:] not in raw
    assert "4242 4242 4242 4242" not in raw and "[card number redacted]" in inside["message"]
    assert "whsec_abc123DEF" not in raw and "whsec_…" in inside["message"]
    assert (outside["request_id"], outside["merchant"], outside["api_key"]) == ("-", "-", "-")


def test_log_format_json_is_the_configured_format(tmp_path):
    """LOG_FORMAT=json (the environment variable) makes every handler of settings.LOGGING write JSON
    lines; an unknown value stops the start."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('clearhouse.probe').warning('probe\\nline two')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_FORMAT": "json"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    [line] = [json.loads(x) for x in out.stderr.splitlines() if "clearhouse.probe" in x]
    assert (line["message"], line["level"], line["request_id"]) == ("probe\nline two", "WARNING", "-")
    bad = subprocess.run([sys.executable, "-c", code], env={**env, "LOG_FORMAT": "xml"}, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert bad.returncode != 0 and "LOG_FORMAT must be plain or json" in bad.stderr
