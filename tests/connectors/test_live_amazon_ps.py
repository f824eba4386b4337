"""A live-mode merchant takes card payments through its Amazon Payment Services account via the
public API: a KWD purchase (three decimals: APS takes x1000) through 3-D Secure, settled by
CHECK_STATUS after the challenge and refunded in part, and an AED authorization captured for
less. APS answers signed with the account's SHA response phrase exactly as APS signs, in the
conformance recordings' shape, replayed at the HTTP layer on APS's production host; every request
the adapter sent is checked against the request phrase."""

import json

import pytest
import responses

from apps.connectors.adapters.amazon_ps.adapter import merchant_reference
from apps.connectors.adapters.amazon_ps.signature import valid
from apps.intents.models import Charge
from tests.connectors.adapters.amazon_ps import conformance as aps
from tests.connectors.live import assert_captured_in_ledger, assert_refunded_in_ledger, live_connector
from tests.intents.helpers import make_card

LIVE = "https://paymentservices.payfort.com/FortAPI/paymentApi"
THREE_DS_URL = (
    "https://checkout.payfort.com/FortAPI/redirectionResponse/threeDs2RedirectURL?token=9a2e1b0c7d8e"
)
FORT_ID = "169996200004563950"


@pytest.fixture
def amazon_ps(merchant):
    return live_connector(merchant, "amazon_ps", credentials=aps.Recordings.credentials,
                          config=aps.Recordings.config, label="APS Kuwait")  # fmt: skip


class APS:
    """APS' one endpoint: each answer signed, each request's signature checked and kept."""

    def __init__(self, mock, answers):
        self.sent: list[dict] = []
        self._answers = list(answers)
        mock.add_callback("POST", LIVE, callback=self)

    def __call__(self, request):
        body = json.loads(request.body)
        assert valid(body, aps.REQUEST_PHRASE), "request signature"
        assert body["access_code"] == aps.ACCESS and body["merchant_identifier"] == aps.MERCHANT
        self.sent.append(body)
        command, code, message, extra = self._answers.pop(0)
        reference = body["merchant_reference"]
        if command == "CHECK_STATUS":
            answer = aps._signed({"query_command": command, "merchant_reference": reference, "fort_id": FORT_ID,
                                  "response_code": "12000", "response_message": "Success", "status": "12", **extra})  # fmt: skip
        else:
            answer = aps._answer(command, reference, code=code, message=message, fort_id=FORT_ID,
                                 amount=body.get("amount", ""), **{"currency": body.get("currency", ""), **extra})  # fmt: skip
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)


def test_a_kwd_purchase_through_3ds_is_refunded_in_part(live, merchant, amazon_ps):
    pm = make_card(merchant, "4111111111111111", livemode=True, exp_month=3, exp_year=2030)
    with responses.RequestsMock() as mock:
        provider = APS(mock, [("PURCHASE", "20064", "3-D Secure check requested", {"3ds_url": THREE_DS_URL})])
        confirmed = live.post("/v1/payment_intents", {"amount": 10_500, "currency": "kwd", "confirm": True,
                                                      "payment_method": pm.public_id,
                                                      "return_url": "https://shop.example/back"}, format="json")  # fmt: skip
    assert confirmed.status_code == 200, confirmed.content
    intent = confirmed.json()
    assert intent["status"] == "requires_action" and intent["livemode"] is True
    assert intent["next_action"]["redirect_to_url"]["url"] == THREE_DS_URL
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    sent = provider.sent[0]
    assert sent["command"] == "PURCHASE" and sent["merchant_reference"] == merchant_reference(
        charge.provider_key
    )
    assert (sent["amount"], sent["currency"]) == ("10500", "KWD")  # 10.500 KWD in fils
    assert sent["card_number"] == "4111111111111111" and sent["expiry_date"] == "3003"
    assert sent["customer_email"] == "jenny@example.com" and sent["return_url"] == "https://shop.example/back"
    assert (
        sent["card_security_code"] == "123"
    )  # the CVC held for the first authorization (apps.vault CvcHold)

    # The shopper comes back from the ACS; the merchant completes: Clearhouse asks APS (CHECK_STATUS).
    with responses.RequestsMock() as mock:
        provider = APS(mock, [("CHECK_STATUS", "", "", {
            "transaction_status": "14", "transaction_code": "14000", "transaction_message": "Success",
            "authorized_amount": "10500", "captured_amount": "10500", "refunded_amount": "0",
            "authorization_code": "452377", "currency": "KWD"})])  # fmt: skip
        completed = live.post(f"/v1/payment_intents/{intent['id']}/3ds/complete", {"result": "authenticated"},
                              format="json")  # fmt: skip
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "succeeded" and completed.json()["amount_received"] == 10_500
    assert provider.sent[0]["merchant_reference"] == merchant_reference(charge.provider_key)
    charge.refresh_from_db()
    assert charge.gateway_reference == f"{FORT_ID}:{merchant_reference(charge.provider_key)}"
    assert_captured_in_ledger(charge, 10_500)

    with responses.RequestsMock() as mock:
        provider = APS(mock, [("REFUND", "06000", "Success", {})])
        refund = live.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 4_250}, format="json")
    assert refund.status_code == 200, refund.content
    assert refund.json()["status"] == "succeeded" and refund.json()["amount"] == 4_250
    sent = provider.sent[0]
    assert (sent["command"], sent["fort_id"], sent["amount"], sent["currency"]) == (
        "REFUND",
        FORT_ID,
        "4250",
        "KWD",
    )
    assert sent["merchant_reference"] == merchant_reference(charge.provider_key)  # APS names the order
    assert_refunded_in_ledger(refund.json()["id"], 4_250)


def test_an_aed_authorization_is_captured_for_less(live, merchant, amazon_ps):
    pm = make_card(merchant, "4111111111111111", livemode=True)
    with responses.RequestsMock() as mock:
        provider = APS(mock, [("AUTHORIZATION", "02000", "Success", {"authorization_code": "452341"})])
        held = live.post("/v1/payment_intents", {"amount": 1000, "currency": "aed", "capture_method": "manual",
                                                 "payment_method": pm.public_id, "confirm": True}, format="json")  # fmt: skip
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "requires_capture"
    assert (provider.sent[0]["command"], provider.sent[0]["amount"]) == ("AUTHORIZATION", "1000")
    charge = Charge.objects.get(public_id=held.json()["latest_charge"])

    with responses.RequestsMock() as mock:
        provider = APS(mock, [("CAPTURE", "04000", "Success", {})])
        captured = live.post(f"/v1/payment_intents/{held.json()['id']}/capture", {"amount_to_capture": 600},
                             format="json")  # fmt: skip
    assert captured.status_code == 200, captured.content
    assert captured.json()["status"] == "succeeded" and captured.json()["amount_received"] == 600
    sent = provider.sent[0]
    assert (sent["command"], sent["fort_id"], sent["amount"], sent["currency"]) == (
        "CAPTURE",
        FORT_ID,
        "600",
        "AED",
    )
    charge.refresh_from_db()
    assert charge.amount_captured == 600
    assert_captured_in_ledger(charge, 600)
