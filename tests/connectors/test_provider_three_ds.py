"""Stripe's 3D Secure round trip through the real confirm path: confirm answers requires_action
with Stripe's redirect URL, the return (POST /v1/payment_intents/{id}/3ds/complete) asks Stripe
for the PaymentIntent and records its outcome (recorded responses)."""

import re

import responses

from apps.connectors.services import connector_create
from apps.intents.models import Charge
from tests.connectors.adapters.stripe import payloads as p
from tests.intents.helpers import ACTOR, make_card

KEY = "sk_live_51QThreeDSaccount0000000000000dddd"
PI = "pi_3QThreeDSlive000000001"
ACS = f"https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1QLive&payment_intent={PI}&source=payatt_3QLive"


@responses.activate
def test_a_stripe_3ds_payment_completes_through_confirm_and_its_return(client_for, merchant):
    connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                     credentials={"secret_key": KEY})  # fmt: skip
    live = client_for(merchant, livemode=True)
    pending = p.intent(PI, status="requires_action", next_action={
        "type": "redirect_to_url", "redirect_to_url": {"url": ACS, "return_url": "https://shop.example/back"}})  # fmt: skip
    done = p.intent(PI, latest_charge=p.charge(PI, three_ds={"authentication_flow": "challenge",
                                                              "result": "authenticated", "version": "2.2.0"}))  # fmt: skip
    for body in (pending, done):
        body["livemode"] = True
    responses.add(responses.POST, "https://api.stripe.com/v1/payment_intents", json=pending)
    responses.add(
        responses.GET, re.compile(rf"https://api\.stripe\.com/v1/payment_intents/{PI}\?.*"), json=done
    )

    pm = make_card(merchant, "4000000000003220", livemode=True)
    confirmed = live.post("/v1/payment_intents", {"amount": 1000, "currency": "eur", "payment_method": pm.public_id,
                                                  "confirm": True, "return_url": "https://shop.example/back"},
                          format="json")  # fmt: skip
    assert confirmed.status_code == 200, confirmed.content
    intent = confirmed.json()
    assert intent["status"] == "requires_action"
    assert ACS in str(intent["next_action"])
    sent = responses.calls[0].request.body
    assert "return_url=https%3A%2F%2Fshop.example%2Fback" in sent and "confirm=true" in sent

    charge = Charge.objects.get(public_id=intent["latest_charge"])
    assert charge.action_reference == PI
    completed = live.post(f"/v1/payment_intents/{intent['id']}/3ds/complete",
                          {"result": "authenticated", "reference": PI}, format="json")  # fmt: skip
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "succeeded"
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.gateway_reference == PI
    assert responses.calls[1].request.method == "GET"
