"""The lifecycle matrix across the sandbox test cards, through the API, on real PostgreSQL."""

import pytest

from apps.audit.models import AuditEntry
from apps.intents.models import Charge, PaymentIntent
from apps.webhooks.models import Event
from tests.intents.helpers import create_intent, pay

SUCCESS_CARDS = [
    ("4242424242424242", "visa"),
    ("4000056655665556", "visa"),
    ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"),
    ("378282246310005", "amex"),
    ("6011111111111117", "discover"),
    ("3566002020360505", "jcb"),
    ("4000000000000259", "visa"),
    ("4000000000005126", "visa"),
]

DECLINE_CARDS = [
    # number, error code, decline_code, network code
    ("4000000000000002", "card_declined", "generic_decline", "05"),
    ("4000000000009995", "card_declined", "insufficient_funds", "51"),
    ("4000000000009987", "card_declined", "lost_card", "41"),
    ("4000000000009979", "card_declined", "stolen_card", "43"),
    ("4000000000000069", "expired_card", "expired_card", "54"),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc", "N7"),
    ("4000000000000119", "processing_error", "processing_error", "96"),
    ("4100000000000019", "card_declined", "fraudulent", "59"),
]


@pytest.mark.parametrize(("number", "brand"), SUCCESS_CARDS)
def test_success_cards_succeed_with_automatic_capture(api, card, number, brand):
    resp = pay(api, card(number), metadata={"order_id": "ord_1"})
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["status"] == "succeeded"
    assert (body["amount_received"], body["amount_capturable"]) == (2000, 0)
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    assert charge["captured"] is True and charge["status"] == "succeeded"
    assert charge["gateway_reference"].startswith("sbxch_")
    assert charge["outcome"]["network_code"] == "00"
    assert len(charge["authorization_code"]) == 6
    assert charge["payment_method_details"]["card"]["brand"] == brand
    assert charge["payment_method_details"]["card"]["last4"] == number[-4:]
    assert charge["payment_method_details"]["card"]["checks"]["cvc_check"] == "pass"
    assert charge["outcome"]["risk_score"] is not None
    assert number not in resp.content.decode()


@pytest.mark.parametrize(("number", "code", "decline_code", "network_code"), DECLINE_CARDS)
def test_decline_cards_answer_402_and_return_to_requires_payment_method(
    api, card, number, code, decline_code, network_code
):
    resp = pay(api, card(number))
    assert resp.status_code == 402, resp.json()
    error = resp.json()["error"]
    assert error["type"] == "card_error"
    assert (error["code"], error["decline_code"]) == (code, decline_code)
    intent = error["payment_intent"]
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == decline_code
    assert intent["last_payment_error"]["network_decline_code"] == network_code
    charges = api.get(f"/v1/payment_intents/{intent['id']}/charges").json()["data"]
    assert len(charges) == 1
    assert charges[0]["status"] == "failed"
    assert charges[0]["outcome"]["network_code"] == network_code
    assert charges[0]["decline_code"] == decline_code
    if number == "4000000000000127":
        assert charges[0]["payment_method_details"]["card"]["checks"]["cvc_check"] == "fail"
    types = list(Event.objects.filter(merchant=api.merchant).values_list("type", flat=True))
    assert "payment_intent.payment_failed" in types and "charge.failed" in types


def test_declined_intent_can_be_retried_with_another_card(api, card):
    first = pay(api, card("4000000000009995")).json()["error"]["payment_intent"]
    resp = api.post(
        f"/v1/payment_intents/{first['id']}/confirm", {"payment_method": card().public_id}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "succeeded"
    assert resp.json()["last_payment_error"] is None
    charges = api.get(f"/v1/payment_intents/{first['id']}/charges").json()["data"]
    assert [c["status"] for c in charges] == ["succeeded", "failed"]


def test_manual_capture_partial_releases_the_remainder(api, card):
    resp = pay(api, card(), capture_method="manual", amount=5000)
    body = resp.json()
    assert body["status"] == "requires_capture"
    assert body["amount_capturable"] == 5000
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    assert charge["captured"] is False and charge["authorization_expires_at"] is not None
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {"amount_to_capture": 3000}, format="json")
    assert resp.status_code == 200, resp.json()
    captured = resp.json()
    assert captured["status"] == "succeeded"
    assert (captured["amount_received"], captured["amount_capturable"]) == (3000, 0)
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    assert (charge["captured"], charge["amount_captured"]) == (True, 3000)
    types = list(Event.objects.filter(merchant=api.merchant).order_by("id").values_list("type", flat=True))
    assert types == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
    ]
    actions = set(AuditEntry.objects.filter(object_id=body["id"]).values_list("action", flat=True))
    assert {"payment_intent.create", "payment_intent.authorized"} <= actions
    assert {"payment_intent.capture_requested", "payment_intent.captured"} <= actions


def test_manual_capture_in_full_by_default(api, card):
    body = pay(api, card(), capture_method="manual").json()
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.json()["amount_received"] == 2000


def test_capture_twice_answers_unexpected_state(api, card):
    body = pay(api, card(), capture_method="manual").json()
    api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert "succeeded" in resp.json()["error"]["message"]


@pytest.mark.parametrize("reason", ["duplicate", "fraudulent", "requested_by_customer", "abandoned"])
def test_cancel_an_authorization_voids_it(api, card, reason):
    body = pay(api, card(), capture_method="manual").json()
    resp = api.post(
        f"/v1/payment_intents/{body['id']}/cancel", {"cancellation_reason": reason}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "canceled"
    assert resp.json()["cancellation_reason"] == reason
    assert resp.json()["amount_capturable"] == 0
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert charge.status == Charge.Status.CANCELED


def test_cancel_before_confirmation_and_after_success(api, card):
    body = create_intent(api).json()
    assert body["status"] == "requires_payment_method"
    resp = api.post(f"/v1/payment_intents/{body['id']}/cancel", {}, format="json")
    assert resp.json()["status"] == "canceled"
    done = pay(api, card()).json()
    resp = api.post(f"/v1/payment_intents/{done['id']}/cancel", {}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"


def test_create_then_update_then_confirm(api, card):
    body = create_intent(api, metadata={"order_id": "A-1"}).json()
    assert body["status"] == "requires_payment_method"
    resp = api.post(f"/v1/payment_intents/{body['id']}", {"amount": 1500, "payment_method": card().public_id},
                    format="json")  # fmt: skip
    assert resp.status_code == 200, resp.json()
    assert (resp.json()["amount"], resp.json()["status"]) == (1500, "requires_confirmation")
    resp = api.post(f"/v1/payment_intents/{body['id']}/confirm", {}, format="json")
    assert resp.json()["status"] == "succeeded"
    assert resp.json()["amount_received"] == 1500
    # amount can no longer change; metadata can
    resp = api.post(f"/v1/payment_intents/{body['id']}", {"amount": 10}, format="json")
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"
    resp = api.post(f"/v1/payment_intents/{body['id']}", {"metadata": {"order_id": "A-2"}}, format="json")
    assert resp.json()["metadata"] == {"order_id": "A-2"}


def test_list_filters(api, card, client_for, merchant):
    from tests.intents.helpers import make_customer

    customer = make_customer(merchant)
    a = pay(api, card(), metadata={"order_id": "ord-42"}).json()
    b = create_intent(api, metadata={"order_id": "ord-43"}, customer=customer.public_id).json()
    resp = api.get("/v1/payment_intents", {"metadata[order_id]": "ord-42"})
    assert [i["id"] for i in resp.json()["data"]] == [a["id"]]
    assert [
        i["id"] for i in api.get("/v1/payment_intents", {"status": "requires_payment_method"}).json()["data"]
    ] == [b["id"]]
    assert [
        i["id"] for i in api.get("/v1/payment_intents", {"customer": customer.public_id}).json()["data"]
    ] == [b["id"]]
    assert len(api.get("/v1/payment_intents", {"created[gte]": a["created"]}).json()["data"]) == 2
    assert api.get("/v1/payment_intents", {"status": "bogus"}).json()["error"]["param"] == "status"


def test_publishable_key_retrieves_and_confirms_with_client_secret(api, publishable, card):
    body = create_intent(api, payment_method=card().public_id).json()
    url = f"/v1/payment_intents/{body['id']}"
    assert publishable.get(url).status_code == 403
    assert publishable.get(url, {"client_secret": "pi_x_secret_wrong"}).status_code == 400
    resp = publishable.get(url, {"client_secret": body["client_secret"]})
    assert resp.status_code == 200 and "metadata" not in resp.json()
    resp = publishable.post(f"{url}/confirm", {"client_secret": body["client_secret"]}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "succeeded"
    assert publishable.post(f"{url}/capture", {}, format="json").status_code == 403
    assert publishable.get("/v1/payment_intents").status_code == 403


def test_other_merchant_sees_404(api, api_other, card):
    body = pay(api, card()).json()
    assert api_other.get(f"/v1/payment_intents/{body['id']}").status_code == 404
    assert api_other.get(f"/v1/charges/{body['latest_charge']}").status_code == 404
    assert api_other.post(f"/v1/payment_intents/{body['id']}/cancel", {}, format="json").status_code == 404


def test_test_cards_endpoint_in_test_mode_only(api, client_for, merchant):
    resp = api.get("/v1/test/cards")
    assert resp.status_code == 200
    numbers = {c["number"] for c in resp.json()["data"]}
    assert {"4242424242424242", "4000002760003184", "4000000000005126"} <= numbers
    live = client_for(merchant, livemode=True)
    assert live.get("/v1/test/cards").status_code == 404


def test_live_mode_without_connector_refuses_confirmation(client_for, merchant):
    from tests.intents.helpers import make_card

    live = client_for(merchant, livemode=True)
    pm = make_card(merchant, livemode=True)
    resp = pay(live, pm)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "no_connector_available"
    assert not PaymentIntent.objects.filter(livemode=True).exists()


def test_idempotent_create_and_confirm_replays(api, card):
    pm = card()
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-77"}
    first = api.post("/v1/payment_intents", {"amount": 900, "currency": "eur", "payment_method": pm.public_id,
                                             "confirm": True}, format="json", **headers)  # fmt: skip
    again = api.post("/v1/payment_intents", {"amount": 900, "currency": "eur", "payment_method": pm.public_id,
                                             "confirm": True}, format="json", **headers)  # fmt: skip
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert PaymentIntent.objects.count() == 1 and Charge.objects.count() == 1


def test_split_is_validated_and_stored(api, card):
    split = [
        {"account_type": "SystemOwner", "account_id": "system-wallet-001", "percentage_bp": 1000},
        {"account_type": "ServiceOwner", "account_id": "service-wallet-002", "percentage_bp": 6000},
        {"account_type": "Partner", "account_id": "partner-wallet-003", "percentage_bp": 3000},
    ]
    resp = pay(api, card(), split=split)
    assert resp.status_code == 200, resp.json()
    assert [s["percentage_bp"] for s in resp.json()["split"]] == [1000, 6000, 3000]
    bad = pay(api, card(), split=split[:2])
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "split"
    assert bad.json()["error"]["code"] == "split_percentages_invalid"


def test_split_uses_the_ledger_rule(api, card):
    """apps.ledger.splits.validate_split_rule: canonical account types, `percentage` accepted,
    errors naming the entry's field."""
    split = [
        {"account_type": "system_owner", "account_id": "sys-1", "percentage": "33.33"},
        {"account_type": "partner", "account_id": "partner-1", "percentage_bp": 6667},
    ]
    resp = pay(api, card(), split=split)
    assert resp.status_code == 200, resp.json()
    assert resp.json()["split"][0]["account_type"] == "SystemOwner"
    assert resp.json()["split"][0]["percentage_bp"] == 3333
    stored = PaymentIntent.objects.get(public_id=resp.json()["id"]).split
    assert [(e["account_type"], e["account_id"]) for e in stored][:2] == [
        ("SystemOwner", "sys-1"),
        ("Partner", "partner-1"),
    ]
    assert [e["percentage_bp"] for e in stored] == [3333, 6667]
    bad_type = pay(api, card(), split=[{"account_type": "Bank", "account_id": "x", "percentage_bp": 10000}])
    assert bad_type.status_code == 400
    assert bad_type.json()["error"]["param"] == "split[0][account_type]"
    empty = pay(api, card(), split=[])
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "split"
    not_a_list = pay(api, card(), split="SystemOwner")
    assert not_a_list.status_code == 400 and not_a_list.json()["error"]["param"] == "split"


def test_0259_payment_gets_a_signed_fraud_dispute_callback(api, card):
    from apps.connectors.sandbox import SandboxAdapter

    body = pay(api, card("4000000000000259")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    adapter = SandboxAdapter()
    [(raw, headers)] = adapter.dispute_notifications(gateway_reference=charge.gateway_reference)
    event = adapter.parse_inbound_webhook(body=raw, headers=headers)
    assert (event.type, event.data["reason"], event.amount) == ("charge.dispute.created", "fraudulent", 2000)
