"""A live-mode merchant takes card payments through its Helcim account via the public API: a sale,
a pre-authorization captured for less, a partial refund (Helcim's Payment API v2 answers recorded
in the conformance recordings' shape, replayed at the HTTP layer). Asserted: what the adapter sent
(decimal major units, our key as Helcim's idempotency-key and the invoice number), the intent and
charge states, and the ledger postings."""

import json
from decimal import Decimal

import pytest
import responses

from apps.connectors.adapters.helcim.adapter import helcim_key
from apps.intents.models import Charge
from tests.connectors.adapters.helcim import conformance as h
from tests.connectors.conformance.recordings import Exchange, replay
from tests.connectors.live import assert_captured_in_ledger, assert_refunded_in_ledger, live_connector
from tests.intents.helpers import make_card


@pytest.fixture
def helcim(merchant):
    return live_connector(merchant, "helcim", credentials=h.Recordings.credentials, label="Helcim")


def _text(request) -> str:
    return request.body.decode() if isinstance(request.body, bytes) else request.body


def _sent(request) -> dict:
    return json.loads(_text(request), parse_float=Decimal)


def test_a_live_helcim_sale_is_refunded_in_part(live, merchant, helcim):
    pm = make_card(merchant, "4111111111111111", livemode=True, exp_month=3, exp_year=2030)
    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{h.HOST}/payment/purchase",
                               body=h._json(h._tx(30537777, type_="purchase", amount="25.00")))])  # fmt: skip
        paid = live.post("/v1/payment_intents", {"amount": 2500, "currency": "usd", "payment_method": pm.public_id,
                                                 "confirm": True}, format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert paid.status_code == 200, paid.content
    body = paid.json()
    assert body["status"] == "succeeded" and body["amount_received"] == 2500 and body["livemode"] is True
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert (charge.connector_id, charge.gateway_reference, charge.status) == (
        helcim.pk,
        "30537777",
        "succeeded",
    )
    sale = _sent(sent)
    assert sale["amount"] == Decimal("25.00") and '"amount": 25.00' in _text(sent)
    assert sale["currency"] == "USD" and sale["invoice"]["invoiceNumber"] == charge.provider_key
    assert sale["cardData"]["cardNumber"] == "4111111111111111" and sale["cardData"]["cardExpiry"] == "0330"
    assert sent.headers["idempotency-key"] == helcim_key(charge.provider_key)
    assert sent.headers["api-token"] == h.TOKEN
    assert_captured_in_ledger(charge, 2500)

    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{h.HOST}/payment/refund",
                               body=h._json(h._tx(30537840, type_="refund", amount="10.00")))])  # fmt: skip
        refunded = live.post("/v1/refunds", {"payment_intent": body["id"], "amount": 1000}, format="json")
        sent = mock.calls[0].request
    assert refunded.status_code == 200, refunded.content
    refund = refunded.json()
    assert refund["status"] == "succeeded" and refund["amount"] == 1000
    assert _sent(sent)["originalTransactionId"] == 30537777 and _sent(sent)["amount"] == Decimal("10.00")
    assert sent.headers["idempotency-key"] == helcim_key(f"{refund['id']}:refund")
    assert_refunded_in_ledger(refund["id"], 1000)
    charge.refresh_from_db()
    assert charge.amount_refunded == 1000


def test_a_live_helcim_preauth_is_captured_for_less(live, merchant, helcim):
    pm = make_card(merchant, "4111111111111111", livemode=True)
    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{h.HOST}/payment/preauth",
                               body=h._json(h._tx(30537801, type_="preauth", amount="40.00")))])  # fmt: skip
        held = live.post("/v1/payment_intents", {"amount": 4000, "currency": "usd", "payment_method": pm.public_id,
                                                 "capture_method": "manual", "confirm": True}, format="json")  # fmt: skip
        assert _sent(mock.calls[0].request)["amount"] == Decimal("40.00")
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "requires_capture"
    charge = Charge.objects.get(public_id=held.json()["latest_charge"])

    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{h.HOST}/payment/capture",
                               body=h._json(h._tx(30537802, type_="capture", amount="30.00")))])  # fmt: skip
        captured = live.post(f"/v1/payment_intents/{held.json()['id']}/capture", {"amount_to_capture": 3000},
                             format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert captured.status_code == 200, captured.content
    assert captured.json()["status"] == "succeeded" and captured.json()["amount_received"] == 3000
    assert _sent(sent)["preAuthTransactionId"] == 30537801 and _sent(sent)["amount"] == Decimal("30.00")
    assert sent.headers["idempotency-key"] == helcim_key(f"{charge.public_id}:capture")
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.amount_captured == 3000
    assert_captured_in_ledger(charge, 3000)
