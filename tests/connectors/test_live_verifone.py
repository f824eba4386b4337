"""A live-mode merchant takes card payments through its Verifone account via the public API, with
the card encrypted in the browser by Verifone.js (``payment_method_data[card][verifone]
[encrypted_card]`` + ``[public_key_alias]``) or a Verifone reuse token: a sale refunded in part,
and a pre-authorization captured for less. Verifone eCommerce API answers recorded in the
conformance recordings' shape, replayed at the HTTP layer against the EMEA production host.
Asserted: what the adapter sent (minor units, our key as the merchant reference and, as a UUIDv5,
the idempotency header), the intent and charge states, the ledger postings, and that the
encrypted card is stored and shown nowhere in the clear."""

import json

import pytest
import responses

from apps.connectors.adapters.verifone.adapter import verifone_key
from apps.intents.models import Charge
from apps.vault.models import PaymentMethod
from tests.connectors.adapters.verifone import conformance as vf
from tests.connectors.live import (
    assert_captured_in_ledger,
    assert_refunded_in_ledger,
    assert_stored_nowhere,
    live_connector,
)

LIVE = "https://emea.gsc.verifone.cloud/oidc/api/v2"
# What Verifone.js' verifone.encryptCard() hands the page: the card under the account's public key.
ENCRYPTED = (
    "eyJ2IjoiMSIsImsiOiJLRVlfMDEiLCJjIjoiUlNBLU9BRVAtMjU2In0.QmFzZTY0RW5jcnlwdGVkQ2FyZERhdGFGcm9tVmVy"
    "aWZvbmVKUzlHc1JsUXpXbnZ0T2tYcVlmY0JwTm1IZUFkVGJMdUt3UmpTaVpYdkNnRW9QeUZxTWhJbkRzYWxXa1V0Vk9ickpm"
    "eFl6Z0tjSHhRcGpObW9FdUJ3TGtSdkFpU3lGZFdaZVRzYUdoVW5YT2xiUElxS3lDcA"
)
ALIAS = "K_3f9a1c7e_2026"
SALE_ID = "1b6f6c1e-2f0a-4b7c-9d3e-5a8b7c6d5e4f"
AUTH_ID = "7c3d2b1a-9e8f-4a6b-8c5d-2e1f0a9b8c7d"


@pytest.fixture
def verifone(merchant):
    return live_connector(merchant, "verifone", credentials=vf.Recordings.credentials, label="Verifone EMEA")


def _answer(tx):
    def reply(request):
        sent = json.loads(request.body)
        body = vf._tx(tx["id"], status=tx["status"], amount=sent.get("amount", tx.get("amount")),
                      reference=sent.get("merchant_reference", "ch"))  # fmt: skip
        return 201, {"Content-Type": "application/json"}, json.dumps(body)

    return reply


def test_a_verifone_js_encrypted_card_is_sold_and_refunded_in_part(live, merchant, verifone):
    card = {"verifone": {"encrypted_card": ENCRYPTED, "public_key_alias": ALIAS}}
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/transactions/card",
                          callback=_answer({"id": SALE_ID, "status": "SETTLEMENT_REQUESTED"}))  # fmt: skip
        paid = live.post("/v1/payment_intents", {"amount": 2500, "currency": "gbp", "confirm": True,
                                                 "payment_method_data": {"type": "card", "card": card}},
                         format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert paid.status_code == 200, paid.content
    intent = paid.json()
    assert (
        intent["status"] == "succeeded" and intent["amount_received"] == 2500 and intent["livemode"] is True
    )
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    assert (charge.connector_id, charge.gateway_reference) == (verifone.pk, SALE_ID)
    body = json.loads(sent.body)
    assert (
        body["encrypted_card"] == ENCRYPTED
        and body["public_key_alias"] == ALIAS
        and "reuse_token" not in body
    )
    assert (body["amount"], body["currency_code"]) == (2500, "GBP")  # minor units, ISO 4217
    assert body["capture_now"] is True and body["auth_type"] == "FINAL_AUTH"
    assert body["payment_provider_contract"] == vf.CONTRACT
    assert body["merchant_reference"] == charge.provider_key
    assert sent.headers["x-vfi-api-idempotencykey"] == verifone_key(charge.provider_key)
    assert sent.headers["Authorization"].startswith("Basic ")
    assert_captured_in_ledger(charge, 2500)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/transactions/{SALE_ID}/refund",
                          callback=_answer({"id": "6a1e1b6d-7e5f-4a2b-8c8d-0f3a2b1c0d94", "status": "REFUNDED"}))  # fmt: skip
        refund = live.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 1000}, format="json")
        sent = mock.calls[0].request
    assert refund.status_code == 200, refund.content
    assert refund.json()["status"] == "succeeded" and refund.json()["amount"] == 1000
    assert json.loads(sent.body)["amount"] == 1000
    assert sent.headers["x-vfi-api-idempotencykey"] == verifone_key(f"{refund.json()['id']}:refund")
    assert_refunded_in_ledger(refund.json()["id"], 1000)

    assert_stored_nowhere(ENCRYPTED[:60], ENCRYPTED[-60:])
    for response in (paid, refund, live.get(f"/v1/connectors/{verifone.public_id}/logs"),
                     live.get(f"/v1/payment_methods/{PaymentMethod.objects.get(pk=charge.payment_method_id).public_id}")):  # fmt: skip
        assert response.status_code == 200 and ENCRYPTED[:60] not in response.content.decode()


def test_a_verifone_reuse_token_is_authorized_and_captured_for_less(live, merchant, verifone):
    card = {"verifone": {"reuse_token": vf.TOKEN}}
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/transactions/card",
                          callback=_answer({"id": AUTH_ID, "status": "AUTHORIZED"}))  # fmt: skip
        held = live.post("/v1/payment_intents", {"amount": 4000, "currency": "gbp", "capture_method": "manual",
                                                 "confirm": True, "payment_method_data": {"type": "card", "card": card}},
                         format="json")  # fmt: skip
        body = json.loads(mock.calls[0].request.body)
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "requires_capture"
    assert body["reuse_token"] == vf.TOKEN and "encrypted_card" not in body
    assert body["capture_now"] is False and body["auth_type"] == "PRE_AUTH"
    charge = Charge.objects.get(public_id=held.json()["latest_charge"])

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/transactions/{AUTH_ID}/capture",
                          callback=_answer({"id": AUTH_ID, "status": "SETTLEMENT_REQUESTED"}))  # fmt: skip
        captured = live.post(f"/v1/payment_intents/{held.json()['id']}/capture", {"amount_to_capture": 3000},
                             format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert captured.status_code == 200, captured.content
    assert captured.json()["status"] == "succeeded" and captured.json()["amount_received"] == 3000
    assert json.loads(sent.body) == {"amount": 3000}
    assert sent.headers["x-vfi-api-idempotencykey"] == verifone_key(f"{charge.public_id}:capture")
    charge.refresh_from_db()
    assert_captured_in_ledger(charge, 3000)


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"encrypted_card": ENCRYPTED}, "payment_method_data[card][verifone][public_key_alias]"),
        ({"public_key_alias": ALIAS}, "payment_method_data[card][verifone][encrypted_card]"),
        ({"encrypted_card": ENCRYPTED, "public_key_alias": ALIAS, "reuse_token": vf.TOKEN},
         "payment_method_data[card][verifone][reuse_token]"),
        ({"encrypted_card": "not base64 at all!", "public_key_alias": ALIAS},
         "payment_method_data[card][verifone][encrypted_card]"),
        ({"reuse_token": "4111111111111111"}, "payment_method_data[card][verifone][reuse_token]"),
        ({}, "payment_method_data[card][verifone][encrypted_card]"),
    ],
)  # fmt: skip
def test_a_malformed_verifone_card_is_refused_naming_the_parameter(live, merchant, verifone, fields, param):
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach Verifone
        resp = live.post("/v1/payment_intents", {"amount": 1000, "currency": "gbp", "confirm": True,
                                                 "payment_method_data": {"type": "card", "card": {"verifone": fields}}},
                         format="json")  # fmt: skip
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["param"] == param
    assert PaymentMethod.objects.filter(merchant=merchant).count() == 0
