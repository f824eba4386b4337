"""A live-mode merchant with two real provider accounts routes EUR card payments by rule and fails
over on a retryable decline, through the real confirm path (apps/intents/services/confirm.py),
against recorded Stripe responses replayed at the HTTP layer; afterwards no credential appears in
a database column, a log line, the connector log, the cache, an API response or an admin page."""

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
from tests.intents.helpers import ACTOR, make_card
from tests.vault.test_no_card_number_anywhere import _hits, _text_columns

KEY_A = "sk_live_51QRoutingAccountA0000000000000000aaaa"
KEY_B = "sk_live_51QRoutingAccountB0000000000000000bbbb"
HOOK_A = "whsec_routingAccountAsigningSecret0001"
HOOK_B = "whsec_routingAccountBsigningSecret0002"
SECRETS = [KEY_A, KEY_B, HOOK_A, HOOK_B]


def _stripe_answers(calls):
    """Account A's acquirer path fails (processing_error: Stripe's retry-elsewhere code); account B
    approves. Which account is asked is read from the Authorization header, as Stripe does."""

    def answer(request):
        key = request.headers["Authorization"].removeprefix("Bearer ")
        assert request.headers["Stripe-Version"] == STRIPE_API_VERSION
        calls.append((key, request.headers["Idempotency-Key"]))
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert "4242424242424242" in body  # the card went to the provider, and only there
        if key == KEY_A:
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
    a = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe EU A", actor=ACTOR,
                         credentials={"secret_key": KEY_A, "webhook_secret": HOOK_A})  # fmt: skip
    b = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe EU B", actor=ACTOR,
                         credentials={"secret_key": KEY_B, "webhook_secret": HOOK_B})  # fmt: skip
    rules = live.post("/v1/routing/rule_sets", {"name": "eu", "activate": True, "rules": [
        {"name": "eur cards", "conditions": {"currency": ["EUR"]}, "connectors": [a.public_id, b.public_id]},
    ]}, format="json")  # fmt: skip
    assert rules.status_code == 200, rules.content
    calls: list[tuple[str, str]] = []
    responses.add_callback(
        responses.POST, "https://api.stripe.com/v1/payment_intents", callback=_stripe_answers(calls)
    )

    pm = make_card(merchant, "4242424242424242", livemode=True)
    paid = live.post("/v1/payment_intents", {"amount": 2500, "currency": "eur", "payment_method": pm.public_id,
                                             "confirm": True}, format="json")  # fmt: skip
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "succeeded"

    charges = list(Charge.objects.filter(payment_intent__public_id=paid.json()["id"]).order_by("id"))
    assert [(c.connector_id, c.status) for c in charges] == [(a.pk, "failed"), (b.pk, "succeeded")]
    assert (
        charges[0].decline_code == "processing_error"
        and charges[1].gateway_reference == "pi_3QRoutingB0000000001"
    )
    assert charges[1].routing["matched_rule"] == "eur cards"
    assert charges[1].routing["failover"]["previous_connector"] == a.public_id
    # each attempt went to its own account under its own idempotency key (the charge's)
    assert [key for key, _ in calls] == [KEY_A, KEY_B]
    assert calls[0][1] == charges[0].provider_key and calls[1][1] == charges[1].provider_key

    responses_seen = [paid]
    for con in (a, b):
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
    log = live.get(f"/v1/connectors/{a.public_id}/logs").json()["data"]
    assert log[0]["exchanges"][0]["status"] == 402  # the provider exchange is in the log, redacted
    assert log[0]["exchanges"][0]["request_headers"]["Authorization"] == "[redacted]"

    assert _hits(_text_columns(), [*SECRETS, "4242424242424242"]) == []
    for record in caplog.records:
        message = record.getMessage()
        assert not any(secret in message for secret in SECRETS), record.name
    client = cache.client.get_client() if hasattr(cache, "client") else None
    if client is not None:
        for key in client.scan_iter("*"):
            value = repr(client.get(key))
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
