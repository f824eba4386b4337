"""Races through separate database connections (threads, transaction=True, real PostgreSQL)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.connectors.models import SandboxTransaction
from apps.intents.models import Charge, PaymentIntent
from tests.intents.helpers import create_intent, make_card, pay

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls):
    """Runs each callable in its own thread (own DB connection), all released at once."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _client(api):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.api_key_plaintext}")
    return client


def _post(api, url, body=None):
    def call():
        resp = _client(api).post(url, body or {}, format="json")
        return resp.status_code, resp.json()

    return call


def test_20_concurrent_confirms_make_one_authorization(api, merchant):
    pm = make_card(merchant)
    intent = create_intent(api, payment_method=pm.public_id).json()
    results = run_concurrently([_post(api, f"/v1/payment_intents/{intent['id']}/confirm") for _ in range(20)])
    ok = [r for r in results if r[0] == 200]
    losers = [r for r in results if r[0] != 200]
    assert len(ok) == 1, results
    assert ok[0][1]["status"] == "succeeded"
    assert len(losers) == 19
    for status_code, body in losers:
        assert status_code == 400
        assert body["error"]["code"] == "payment_intent_unexpected_state"
        assert body["error"]["message"].startswith("You cannot confirm this PaymentIntent")
    pi = PaymentIntent.objects.get(public_id=intent["id"])
    assert Charge.objects.filter(payment_intent=pi).count() == 1
    assert SandboxTransaction.objects.filter(operation="authorize").count() == 1
    assert pi.amount_received == 2000


@pytest.mark.parametrize("round_", range(4))
def test_capture_vs_cancel_exactly_one_wins(api, merchant, round_):
    body = pay(api, make_card(merchant), capture_method="manual").json()
    base = f"/v1/payment_intents/{body['id']}"
    capture, cancel = run_concurrently(
        [_post(api, f"{base}/capture"), _post(api, f"{base}/cancel", {"cancellation_reason": "duplicate"})]
    )
    winners = [r for r in (capture, cancel) if r[0] == 200]
    losers = [r for r in (capture, cancel) if r[0] != 200]
    assert len(winners) == 1 and len(losers) == 1, (capture, cancel)
    assert losers[0][0] == 400
    assert losers[0][1]["error"]["code"] == "payment_intent_unexpected_state"
    pi = PaymentIntent.objects.get(public_id=body["id"])
    charge = Charge.objects.get(payment_intent=pi)
    if capture[0] == 200:
        assert pi.status == "succeeded" and charge.captured and pi.amount_received == 2000
        assert not SandboxTransaction.objects.filter(operation="void").exists()
    else:
        assert pi.status == "canceled" and not charge.captured and pi.amount_received == 0
        assert not SandboxTransaction.objects.filter(operation="capture").exists()
    assert charge.pending_operation == ""
