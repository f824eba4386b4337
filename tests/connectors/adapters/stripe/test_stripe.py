"""Stripe specifics beyond the conformance suite: the pinned API version, key modes, webhook
tolerance, the connector log's redaction of the key and the card."""

import json
import time

import pytest
import responses
import stripe

from apps.connectors.adapters.stripe.adapter import STRIPE_API_VERSION, StripeAdapter
from apps.connectors.base import Approved, InboundWebhookError
from apps.connectors.http import capture_exchanges

from . import payloads as p
from .conformance import API, SECRET_KEY, WEBHOOK_SECRET, Recordings, sign


def test_the_pinned_api_version_is_the_sdks_own():
    # Upgrading the SDK changes its default version: the adapter's pin must be reviewed with it.
    assert STRIPE_API_VERSION == stripe._api_version._ApiVersion.CURRENT
    assert StripeAdapter.sdk == "stripe==16.1.0"


@pytest.mark.parametrize(
    ("key", "livemode", "ok"),
    [("sk_test_abc123456789", False, True), ("sk_live_abc123456789", True, True),
     ("sk_test_abc123456789", True, False), ("rk_live_abc123456789", False, False)],
)  # fmt: skip
def test_keys_of_the_other_mode_are_refused(key, livemode, ok):
    if ok:
        StripeAdapter.validate_credentials({"secret_key": key}, livemode=livemode)
    else:
        with pytest.raises(ValueError):
            StripeAdapter.validate_credentials({"secret_key": key}, livemode=livemode)


def test_a_stale_signature_is_expired_and_a_missing_one_is_missing():
    adapter = StripeAdapter(credentials=Recordings.credentials)
    body = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"}).encode()
    with pytest.raises(InboundWebhookError) as caught:
        adapter.parse_inbound_webhook(
            body=body, headers={"Stripe-Signature": sign(body, timestamp=int(time.time()) - 600)}
        )
    assert caught.value.code == "signature_expired"
    with pytest.raises(InboundWebhookError) as caught:
        adapter.parse_inbound_webhook(body=body, headers={})
    assert caught.value.code == "signature_missing"
    with pytest.raises(InboundWebhookError) as caught:
        adapter.parse_inbound_webhook(
            body=body, headers={"Stripe-Signature": sign(body, secret="whsec_other_secret_1")}
        )
    assert caught.value.code == "signature_invalid"


@responses.activate
def test_the_exchange_log_holds_neither_the_key_nor_the_card():
    pi = "pi_3QClogged00000000001"
    responses.add(responses.POST, f"{API}/v1/payment_intents", json=p.intent(pi, latest_charge=p.charge(pi)))
    adapter = StripeAdapter(credentials=Recordings.credentials)
    with capture_exchanges() as log:
        result = adapter.authorize(Recordings().request("logged"))
    assert isinstance(result, Approved) and result.authorization_code == "123456"
    text = json.dumps(log)
    assert SECRET_KEY not in text and WEBHOOK_SECRET not in text and "4111111111111111" not in text
    assert (
        log[0]["request_body"]["amount"] == "1000"
        and log[0]["request_headers"]["Stripe-Version"] == STRIPE_API_VERSION
    )


@responses.activate
def test_three_decimal_currencies_go_to_stripe_in_multiples_of_ten_or_not_at_all():
    from apps.connectors.base import Declined

    pi = "pi_3QCkwd0000000000001"
    responses.add(responses.POST, f"{API}/v1/payment_intents",
                  json=p.intent(pi, amount=1250, currency="kwd", latest_charge=p.charge(pi, amount=1250, currency="kwd")))  # fmt: skip
    adapter = StripeAdapter(credentials=Recordings.credentials)
    approved = adapter.authorize(Recordings().request("kwd", amount=1250, currency="KWD"))
    assert isinstance(approved, Approved) and approved.amount == 1250
    assert (
        "amount=1250" in responses.calls[0].request.body and "currency=kwd" in responses.calls[0].request.body
    )
    refused = adapter.authorize(Recordings().request("kwd2", amount=1255, currency="KWD"))
    assert isinstance(refused, Declined) and refused.code == "invalid_amount" and len(responses.calls) == 1
