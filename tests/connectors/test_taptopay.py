"""TapToPay end to end in live mode: a device wallet payment (Apple Pay on the customer's phone,
already exchanged for Tap's token by the device integration) confirmed through the real confirm
path is charged through Tap's API with the token as its source, answered at once, posted to the
ledger; Tap's signed webhook about it changes nothing more; a refund goes to Tap. Recorded Tap
API v2 answers, replayed at the HTTP layer."""

import json

import pytest
import responses
from django.test import Client

from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.ledger.models import Posting
from tests.connectors.adapters.tap import conformance as tap
from tests.connectors.adapters.taptopay import conformance as ttp
from tests.connectors.conformance.recordings import Exchange, replay
from tests.intents.helpers import ACTOR

LIVE_KEY = "sk_live_Zm8QpT4vW2yR6nK0sL3dF7hJ"


@pytest.fixture
def live(client_for, merchant):
    return client_for(merchant, livemode=True)


@pytest.fixture
def taptopay(merchant):
    return connector_create(
        merchant=merchant, livemode=True, type="taptopay", label="Tap device wallets", actor=ACTOR,
        credentials={"secret_key": LIVE_KEY},
    )  # fmt: skip


def _live(answer: dict) -> dict:
    return answer | {"live_mode": True}


def _bearer(request):
    assert request.headers["Authorization"] == f"Bearer {LIVE_KEY}"


def test_a_live_apple_pay_payment_is_charged_through_tap_with_the_device_token(live, taptopay, merchant):
    pm = live.post(
        "/v1/payment_methods",
        {
            "type": "apple_pay",
            "apple_pay": {"token": ttp.SAVED_TOKEN, "card_brand": "visa", "dynamic_last4": "4242"},
        },
        format="json",
    )
    assert pm.status_code == 200, pm.content
    sent = {}

    def charge(request):
        _bearer(request)
        assert '"amount": 10.500' in request.body.decode()  # KWD's three decimals, never a float
        body = json.loads(request.body)
        sent.update(body)
        answer = _live(ttp.paid(ttp.PAID_ID, token=ttp.SAVED_TOKEN, key=body["reference"]["transaction"]))
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{ttp.BASE}/charges", callback=charge)
        resp = live.post(
            "/v1/payment_intents",
            {"amount": 10_500, "currency": "kwd", "payment_method_types": ["apple_pay"],
             "payment_method": pm.json()["id"], "confirm": True, "routing": {"connector": taptopay.public_id}},
            format="json",
        )  # fmt: skip
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "succeeded" and body["amount_received"] == 10_500 and body["livemode"] is True
    charge_row = Charge.objects.get(public_id=body["latest_charge"])
    assert charge_row.gateway_reference == ttp.PAID_ID and charge_row.connector_id == taptopay.pk
    # the device's token is the source; no 3DS page for a wallet the phone authenticated
    assert sent["source"] == {"id": ttp.SAVED_TOKEN} and sent["threeDSecure"] is False
    assert sent["reference"]["transaction"] == charge_row.provider_key
    postings = Posting.objects.filter(entry__merchant=merchant, entry__livemode=True).count()
    assert postings > 0

    # Tap's signed webhook about the same charge: verified, read back, nothing moves twice
    webhook = _live(ttp.paid(ttp.PAID_ID, token=ttp.SAVED_TOKEN, key=charge_row.provider_key))
    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("GET", f"{ttp.BASE}/charges/{ttp.PAID_ID}", json=webhook, check=_bearer)])
        resp = Client().post(f"/v1/webhooks/gateway/{taptopay.public_id}", json.dumps(webhook),
                             content_type="application/json", HTTP_HASHSTRING=tap.hashstring(webhook, LIVE_KEY))  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert Posting.objects.filter(entry__merchant=merchant).count() == postings

    refund = {"id": tap.REFUND_ID, "object": "refund", "api_version": "V2", "live_mode": True, "amount": 4.25,
              "currency": "KWD", "charge_id": ttp.PAID_ID, "created": 1764582000000, "status": "REFUNDED",
              "response": {"code": "000", "message": "Refunded"}}  # fmt: skip

    def refund_check(request):
        _bearer(request)
        assert (
            json.loads(request.body)["charge_id"] == ttp.PAID_ID
            and '"amount": 4.250' in request.body.decode()
        )

    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{ttp.BASE}/refunds", json=refund, check=refund_check)])
        created = live.post("/v1/refunds", {"payment_intent": body["id"], "amount": 4_250}, format="json")
    assert created.status_code == 200, created.content
    assert created.json()["status"] == "succeeded"


def test_the_wallet_payload_is_exchanged_for_a_tap_token_before_the_charge():
    from apps.connectors import registry
    from apps.connectors.base import Approved, Declined

    rec = ttp.Recordings()
    adapter = registry.adapter_class("taptopay")(credentials=dict(rec.credentials), livemode=False,
                                                 config=dict(rec.config))  # fmt: skip
    with responses.RequestsMock() as mock:
        replay(mock, [ttp.token_exchange(), ttp.charge_exchange(ttp.PAID_ID, key="ch_conf_approve")])
        assert isinstance(adapter.authorize(rec.request("approve")), Approved)
    refused = {"errors": [{"code": "1117", "description": "Invalid Apple Pay token data"}]}
    with responses.RequestsMock() as mock:  # Tap refuses the payload: no charge is attempted
        replay(mock, [ttp.token_exchange(answer=refused, status=400)])
        result = adapter.authorize(rec.request("approve"))
    assert isinstance(result, Declined) and result.decline_code == "invalid_wallet_token"
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing to send at all
        for token in ("", "not a wallet payload", json.dumps({"data": "x"})):
            result = adapter.authorize(rec.request("approve", wallet_token=token))
            assert isinstance(result, Declined) and result.decline_code == "invalid_wallet_token"


def test_a_tap_answer_asking_for_3ds_is_refused_for_a_device_wallet():
    from apps.connectors import registry
    from apps.connectors.base import Declined

    rec = ttp.Recordings()
    adapter = registry.adapter_class("taptopay")(credentials=dict(rec.credentials), livemode=False,
                                                 config=dict(rec.config))  # fmt: skip
    initiated = tap.charge(ttp.PAID_ID, "INITIATED", "100", "Initiated", key="ch_conf_approve")
    with responses.RequestsMock() as mock:
        replay(
            mock,
            [
                ttp.charge_exchange(
                    ttp.PAID_ID, token=ttp.SAVED_TOKEN, key="ch_conf_approve", answer=initiated
                )
            ],
        )
        result = adapter.authorize(rec.request("approve", wallet_token=ttp.SAVED_TOKEN))
    assert isinstance(result, Declined) and result.decline_code == "authentication_required"
