"""A live-mode merchant with real provider accounts routes EUR card payments by rule and fails
over on a retryable decline, through the real confirm path (apps/intents/services/confirm.py),
against recorded Stripe and Adyen responses replayed at the HTTP layer; afterwards no credential
appears in a database column, a log line, the connector log, the cache, an API response or an
admin page."""

import json
import logging

import pytest
import responses
from django.core.cache import cache
from django.urls import reverse

from apps.connectors.adapters.stripe.adapter import STRIPE_API_VERSION
from apps.connectors.models import Connector
from apps.connectors.services import connector_create
from apps.intents.models import Charge
from tests.admin.staff import staff_user
from tests.connectors.adapters.stripe import payloads as p
from tests.connectors.test_no_credential_anywhere import redis_value
from tests.intents.helpers import ACTOR, make_card
from tests.vault.test_no_card_number_anywhere import _hits, _text_columns

KEY_A = "sk_live_51QRoutingAccountA0000000000000000aaaa"
KEY_B = "sk_live_51QRoutingAccountB0000000000000000bbbb"
HOOK_A = "whsec_routingAccountAsigningSecret0001"
HOOK_B = "whsec_routingAccountBsigningSecret0002"
ADYEN_KEY = "AQEqhmfuXNWTK0Qc+iSS3VI3g/2ihI0eB2xJLiVdRm3zcAA0EMFdWw2+5HzctViMSCJMYAc=-LiveRoutingKey0003"
ADYEN_HMAC = "B7E8D1A3C0F2E4D6B8A0C2E4F6A8B0C2D4E6F8A0B2C4D6E8F0A2B4C6D8E0F2A4"
ADYEN_PREFIX = "1797a841fbb37ca7-ClearhouseCOM"
ADYEN_PAYMENTS = f"https://{ADYEN_PREFIX}-checkout-live.adyenpayments.com/checkout/v72/payments"
SECRETS = [KEY_A, KEY_B, HOOK_A, HOOK_B, ADYEN_KEY, ADYEN_HMAC]


def _adyen_answers(calls, outcomes):
    """Adyen's live Checkout API: the first payment is refused with an acquirer error (a retryable
    decline: another acquirer may take it), the next authorised."""

    def answer(request):
        assert request.headers["X-API-Key"] == ADYEN_KEY
        body = json.loads(request.body)
        assert body["merchantAccount"] == "ClearhouseECOM" and body["amount"]["currency"] == "EUR"
        calls.append(("adyen", request.headers["Idempotency-Key"]))
        if outcomes.pop(0) == "refused":
            reply = {"pspReference": "G7K2M4P6R8T0V2X4", "refusalReason": "Acquirer Error", "refusalReasonCode": "4",
                     "resultCode": "Refused", "merchantReference": body["reference"]}  # fmt: skip
        else:
            reply = {"pspReference": "H8L3N5Q7S9U1W3Y5", "resultCode": "Authorised", "merchantReference": body["reference"],
                     "additionalData": {"authCode": "A1B2C3"}}  # fmt: skip
        return (
            200,
            {"Content-Type": "application/json", "pspReference": reply["pspReference"]},
            json.dumps(reply),
        )

    return answer


def _stripe_answers(calls):
    """Account A's acquirer path fails (processing_error: Stripe's retry-elsewhere code); account B
    approves. Which account is asked is read from the Authorization header, as Stripe does."""

    def answer(request):
        key = request.headers["Authorization"].removeprefix("Bearer ")
        assert request.headers["Stripe-Version"] == STRIPE_API_VERSION
        calls.append((key, request.headers["Idempotency-Key"]))
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert "4242424242424242" in body  # the card went to the provider, and only there
        if key == KEY_A:  # not routed to in this test: EUR goes to Adyen, then Stripe EU
            error = p.card_error(
                "pi_3QRoutingA0000000001",
                code="processing_error",
                decline_code="processing_error",
                message="An error occurred while processing your card. Try again in a little bit.",
            )
            error["error"]["payment_intent"]["livemode"] = True
            return 402, {"Content-Type": "application/json", "Request-Id": "req_routingA"}, json.dumps(error)
        pi = "pi_3QRoutingB0000000001"
        body = p.intent(pi, key=calls[-1][1], latest_charge=p.charge(pi, amount=2500), amount=2500)
        body["livemode"] = True
        return 200, {"Content-Type": "application/json", "Request-Id": "req_routingB"}, json.dumps(body)

    return answer


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user("admin"))
    return client


@responses.activate
def test_eur_cards_route_by_rule_and_fail_over_on_a_retryable_decline_without_leaking_credentials(
    client_for, merchant, admin_client, caplog
):
    caplog.set_level(logging.DEBUG)
    live = client_for(merchant, livemode=True)
    adyen = connector_create(merchant=merchant, livemode=True, type="adyen", label="Adyen EU", actor=ACTOR,
                             credentials={"api_key": ADYEN_KEY, "hmac_key": ADYEN_HMAC},
                             config={"merchant_account": "ClearhouseECOM", "live_endpoint_prefix": ADYEN_PREFIX})  # fmt: skip
    a = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe US", actor=ACTOR,
                         credentials={"secret_key": KEY_A, "webhook_secret": HOOK_A})  # fmt: skip
    b = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe EU", actor=ACTOR,
                         credentials={"secret_key": KEY_B, "webhook_secret": HOOK_B})  # fmt: skip
    rules = live.post("/v1/routing/rule_sets", {"name": "eu", "activate": True, "rules": [
        {"name": "eur cards", "conditions": {"currency": ["EUR"]}, "connectors": [adyen.public_id, b.public_id]},
        {"name": "the rest", "connectors": [a.public_id]},
    ]}, format="json")  # fmt: skip
    assert rules.status_code == 200, rules.content
    calls: list[tuple[str, str]] = []
    responses.add_callback(
        responses.POST, "https://api.stripe.com/v1/payment_intents", callback=_stripe_answers(calls)
    )
    responses.add_callback(
        responses.POST, ADYEN_PAYMENTS, callback=_adyen_answers(calls, ["refused", "authorised"])
    )

    pm = make_card(merchant, "4242424242424242", livemode=True)
    body = {"amount": 2500, "currency": "eur", "payment_method": pm.public_id, "confirm": True}
    paid = live.post("/v1/payment_intents", body, format="json")
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "succeeded"
    charges = list(Charge.objects.filter(payment_intent__public_id=paid.json()["id"]).order_by("id"))
    assert [(c.connector_id, c.status) for c in charges] == [(adyen.pk, "failed"), (b.pk, "succeeded")]
    assert (
        charges[0].decline_code == "processing_error" and charges[0].gateway_reference == "G7K2M4P6R8T0V2X4"
    )
    assert charges[1].gateway_reference == "pi_3QRoutingB0000000001"
    assert charges[1].routing["matched_rule"] == "eur cards"
    assert charges[1].routing["failover"]["previous_connector"] == adyen.public_id
    # each attempt went to its own account under its own idempotency key (the charge's)
    assert calls == [("adyen", charges[0].provider_key), (KEY_B, charges[1].provider_key)]

    again = live.post("/v1/payment_intents", body, format="json")  # Adyen authorises: no failover
    assert again.status_code == 200 and again.json()["status"] == "succeeded", again.content
    charge = Charge.objects.get(public_id=again.json()["latest_charge"])
    assert (charge.connector_id, charge.gateway_reference) == (adyen.pk, "H8L3N5Q7S9U1W3Y5")
    assert charge.routing["failover"] is None and len(calls) == 3

    responses_seen = [paid]
    for con in (adyen, a, b):
        responses_seen += [
            live.get(f"/v1/connectors/{con.public_id}"),
            live.get(f"/v1/connectors/{con.public_id}/logs"),
        ]
    responses_seen += [live.get("/v1/connectors"), live.get(f"/v1/charges/{charges[1].public_id}"),
                       live.get("/v1/providers")]  # fmt: skip
    for response in responses_seen:
        assert response.status_code == 200, response.content
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text
        assert "4242424242424242" not in text
    log = live.get(f"/v1/connectors/{adyen.public_id}/logs").json()["data"]
    assert log[-1]["exchanges"][0]["status"] == 200  # the provider exchange is in the log, redacted
    assert log[-1]["exchanges"][0]["request_headers"]["X-API-Key"] == "[redacted]"
    assert log[-1]["exchanges"][0]["request_body"]["paymentMethod"]["number"] == "[redacted]"

    assert _hits(_text_columns(), [*SECRETS, "4242424242424242"]) == []
    for record in caplog.records:
        message = record.getMessage()
        # no credential, card number or CVC: provider SDKs log request bodies at DEBUG, which the
        # settings never let through (LOGGING keeps the provider loggers at INFO)
        assert not any(secret in message for secret in [*SECRETS, "4242424242424242", "[cvc]="]), record.name
    client = cache.client.get_client() if hasattr(cache, "client") else None
    if client is not None:
        for key in client.scan_iter("*"):
            value = redis_value(client, key)
            assert not any(secret in value for secret in SECRETS), key
    for model in (Connector, Charge):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        page = admin_client.get(url)
        assert page.status_code == 200
        for obj in model.objects.filter(merchant=merchant):
            detail = admin_client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
            assert detail.status_code == 200
            for text in (page.content.decode(), detail.content.decode()):
                assert not any(secret in text for secret in SECRETS)


@responses.activate
def test_a_timeout_is_looked_up_before_failing_over_and_the_attempt_found_is_not_repeated(
    client_for, merchant
):
    """Stripe A times out on the authorization. Failover first asks A by our key (search, then the
    consistent recent list): for the first payment A never got it, so Stripe B takes it; for the
    second, A did authorize it, so that answer is recorded and B is never asked."""
    import re

    import requests

    live = client_for(merchant, livemode=True)
    a = connector_create(merchant=merchant, livemode=True, type="stripe", label="A", actor=ACTOR,
                         credentials={"secret_key": KEY_A})  # fmt: skip
    b = connector_create(merchant=merchant, livemode=True, type="stripe", label="B", actor=ACTOR,
                         credentials={"secret_key": KEY_B})  # fmt: skip
    live.post("/v1/routing/rule_sets", {"name": "ab", "activate": True,
                                        "rules": [{"name": "ab", "connectors": [a.public_id, b.public_id]}]},
              format="json")  # fmt: skip
    found_on_a: dict[str, str] = {}

    def create(request):
        key = request.headers["Authorization"].removeprefix("Bearer ")
        if key == KEY_A:
            if found_on_a.get("mode") == "processed":
                found_on_a["key"] = request.headers["Idempotency-Key"]
            raise requests.exceptions.ReadTimeout()
        pi = "pi_3QTimeoutB0000000001"
        body = p.intent(
            pi, key=request.headers["Idempotency-Key"], latest_charge=p.charge(pi, amount=1500), amount=1500
        )
        return 200, {"Content-Type": "application/json"}, json.dumps({**body, "livemode": True})

    def search(request):
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(
                {
                    "object": "search_result",
                    "data": [],
                    "has_more": False,
                    "url": "/v1/payment_intents/search",
                }
            ),
        )

    def recent(request):
        data = []
        if "key" in found_on_a:
            pi = "pi_3QTimeoutA0000000001"
            data = [{**p.intent(pi, key=found_on_a["key"], latest_charge=p.charge(pi, amount=1500), amount=1500),
                     "livemode": True}]  # fmt: skip
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"object": "list", "data": data, "has_more": False, "url": "/v1/payment_intents"}),
        )

    responses.add_callback(responses.POST, "https://api.stripe.com/v1/payment_intents", callback=create)
    responses.add_callback(responses.GET, re.compile(r"https://api\.stripe\.com/v1/payment_intents/search\?.*"),
                           callback=search)  # fmt: skip
    responses.add_callback(
        responses.GET, re.compile(r"https://api\.stripe\.com/v1/payment_intents\?.*"), callback=recent
    )
    pm = make_card(merchant, "4242424242424242", livemode=True)
    body = {"amount": 1500, "currency": "eur", "payment_method": pm.public_id, "confirm": True}

    moved = live.post("/v1/payment_intents", body, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "succeeded", moved.content
    charges = list(Charge.objects.filter(payment_intent__public_id=moved.json()["id"]).order_by("id"))
    assert [(c.connector_id, c.status) for c in charges] == [(a.pk, "failed"), (b.pk, "succeeded")]
    assert charges[1].routing["failover"]["reason"] == "not_received"

    found_on_a["mode"] = "processed"
    kept = live.post("/v1/payment_intents", body, format="json")
    assert kept.status_code == 200 and kept.json()["status"] == "succeeded", kept.content
    charges = list(Charge.objects.filter(payment_intent__public_id=kept.json()["id"]).order_by("id"))
    assert [(c.connector_id, c.status, c.gateway_reference) for c in charges] == [
        (a.pk, "succeeded", "pi_3QTimeoutA0000000001")
    ]
    posts_to_b = [
        c
        for c in responses.calls
        if c.request.method == "POST" and KEY_B in c.request.headers["Authorization"]
    ]
    assert len(posts_to_b) == 1  # only the first payment's
