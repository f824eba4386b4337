"""A live-mode merchant takes a card payment through its Square account via the public API, with
the card tokenized in the browser by Square's Web Payments SDK: the ``cnon:`` payment token and
the ``verifyBuyer()`` token go in as ``payment_method_data[card][square][…]``, reach
``CreatePayment`` as ``source_id`` / ``verification_token`` (``autocomplete=false`` for a manual
capture), the authorization is completed (CompletePayment) and refunded in part (RefundPayment,
PENDING until the network settles it). Square answers recorded in the conformance recordings'
shape, replayed at the HTTP layer against Square's production host. The tokens are stored
nowhere in the clear and shown nowhere."""

import json

import pytest
import responses

from apps.intents.models import Charge
from apps.vault.models import PaymentMethod
from tests.connectors.adapters.square import conformance as sq
from tests.connectors.conformance.recordings import Exchange, replay
from tests.connectors.live import assert_captured_in_ledger, assert_stored_nowhere, live_connector
from tests.intents.helpers import ACTOR

LIVE = "https://connect.squareup.com"
NONCE = "cnon:CBASEHqXzL1Vgc7Sn6jSbK_9Gw4EgYRkQdSUqL9Kt0kxNzZ3Yw"
VERIFICATION = "verf:CBASEEm4uZ4wmAPcNzgRMkRoq1sYLtcZ2HwYVl6A"
PAY_ID = "R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY"


@pytest.fixture
def square(merchant):
    return live_connector(merchant, "square", credentials=sq.Recordings.credentials,
                          config={"location_id": sq.LOCATION}, label="Square US")  # fmt: skip


def _token_data(**square):
    return {
        "type": "card",
        "card": {"square": {"source_id": NONCE, "verification_token": VERIFICATION, **square}},
    }


def _payment(status, card_status, key, amount=1000):
    return {
        "payment": sq._payment(PAY_ID, status=status, card_status=card_status, amount=amount, reference=key)
    }


def test_a_square_token_is_authorized_completed_and_refunded_in_part(live, merchant, square):
    def created(request):
        key = json.loads(request.body)["reference_id"]
        return 200, {"Content-Type": "application/json"}, json.dumps(_payment("APPROVED", "AUTHORIZED", key))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/v2/payments", callback=created)
        held = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "capture_method": "manual",
                                                 "payment_method_data": _token_data(), "confirm": True},
                         format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert held.status_code == 200, held.content
    intent = held.json()
    assert intent["status"] == "requires_capture" and intent["livemode"] is True
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    assert (charge.connector_id, charge.gateway_reference) == (square.pk, PAY_ID)
    body = json.loads(sent.body)
    assert body["source_id"] == NONCE and body["verification_token"] == VERIFICATION
    assert body["autocomplete"] is False and body["location_id"] == sq.LOCATION
    assert body["amount_money"] == {"amount": 1000, "currency": "USD"}  # cents, Square's unit
    assert body["idempotency_key"] == charge.provider_key and body["reference_id"] == charge.provider_key
    assert sent.headers["Square-Version"] == "2026-09-16"
    assert sent.headers["Authorization"] == f"Bearer {sq.TOKEN}"

    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{LIVE}/v2/payments/{PAY_ID}/complete",
                               json=_payment("COMPLETED", "CAPTURED", charge.provider_key))])  # fmt: skip
        captured = live.post(f"/v1/payment_intents/{intent['id']}/capture", {}, format="json")
    assert captured.status_code == 200, captured.content
    assert captured.json()["status"] == "succeeded" and captured.json()["amount_received"] == 1000
    charge.refresh_from_db()
    assert charge.status == "succeeded"
    assert_captured_in_ledger(charge, 1000)

    refund_id = f"{PAY_ID}_MDwT7EbhlcP6WYqdOXVI2ZmS3VQuRaVBX2nFh8sMqR9jmGV3Jh5vTa"

    def refunded(request):
        sent = json.loads(request.body)
        assert sent["payment_id"] == PAY_ID and sent["amount_money"] == {"amount": 400, "currency": "USD"}
        answer = {"refund": {"id": refund_id, "status": "PENDING", "amount_money": sent["amount_money"],
                             "payment_id": PAY_ID, "location_id": sq.LOCATION,
                             "created_at": "2026-12-01T11:02:03.123Z", "updated_at": "2026-12-01T11:02:03.456Z"}}  # fmt: skip
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/v2/refunds", callback=refunded)
        refund = live.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 400}, format="json")
        key = json.loads(mock.calls[0].request.body)["idempotency_key"]
    assert refund.status_code == 200, refund.content
    assert refund.json()["status"] == "pending"  # Square settles refunds later (refund.updated)
    assert key == f"{refund.json()['id']}:refund"

    # the tokens went to Square and nowhere else: no column, response or call log holds them
    assert_stored_nowhere(NONCE, VERIFICATION)
    pm = PaymentMethod.objects.get(pk=charge.payment_method_id)
    assert pm.vault_record_id is not None and pm.card_brand == "" and pm.card_last4 == ""
    shown = [held, captured, refund, live.get(f"/v1/payment_methods/{pm.public_id}"),
             live.get(f"/v1/charges/{charge.public_id}"), live.get(f"/v1/connectors/{square.public_id}/logs")]  # fmt: skip
    for response in shown:
        assert response.status_code == 200, response.content
        assert NONCE not in response.content.decode() and VERIFICATION not in response.content.decode()
    logged = live.get(f"/v1/connectors/{square.public_id}/logs").json()["data"]
    create_call = next(e for entry in logged for e in entry["exchanges"] if e["url"].endswith("/v2/payments"))
    assert create_call["request_body"]["source_id"] == "[redacted]"


@pytest.mark.parametrize(
    ("square_fields", "param"),
    [
        ({"source_id": "tok_visa"}, "payment_method_data[card][square][source_id]"),
        ({"source_id": "cnon:4242 4242 4242 4242"}, "payment_method_data[card][square][source_id]"),
        ({"source_id": NONCE, "verification_token": "3ds-ok"}, "payment_method_data[card][square][verification_token]"),
        ({"verification_token": VERIFICATION}, "payment_method_data[card][square][source_id]"),
    ],
)  # fmt: skip
def test_a_malformed_square_token_is_refused_naming_the_parameter(
    live, merchant, square, square_fields, param
):
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach Square
        resp = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "confirm": True,
                                                 "payment_method_data": {"type": "card", "card": {"square": square_fields}}},
                         format="json")  # fmt: skip
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["param"] == param
    assert PaymentMethod.objects.filter(merchant=merchant).count() == 0


def test_a_square_token_and_a_card_token_together_are_refused(live, merchant, square):
    resp = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "payment_method_data": {
        "type": "card", "card": {"token": "tok_visa", "square": {"source_id": NONCE}}}}, format="json")  # fmt: skip
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "payment_method_data[card][square]"


def test_a_square_token_is_never_sent_to_another_provider(live, merchant):
    """Only a Stripe account: routing excludes it for the Square token, Stripe is never called."""
    from apps.connectors.services import connector_create

    connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                     credentials={"secret_key": "sk_live_51QSquareTokenElsewhere000000000000zz"})  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        resp = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "confirm": True,
                                                 "payment_method_data": _token_data()}, format="json")  # fmt: skip
        assert len(mock.calls) == 0
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["code"] == "no_connector_available" and "provider_token_not_usable" in error["message"]


def test_routing_orders_only_the_token_providers_accounts_and_records_why(live, merchant, square):
    """A Stripe account the merchant prefers (default, older) is excluded for a Square token —
    recorded in the decision like any exclusion — so no failover can ever reach it."""
    from apps.connectors.models import Connector
    from apps.connectors.services import connector_create

    stripe = connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                              credentials={"secret_key": "sk_live_51QSquareTokenElsewhere000000000000zz"})  # fmt: skip
    Connector.objects.filter(merchant=merchant, livemode=True).update(is_default=False)
    Connector.objects.filter(pk=stripe.pk).update(is_default=True)

    def created(request):
        key = json.loads(request.body)["reference_id"]
        return 200, {"Content-Type": "application/json"}, json.dumps(_payment("APPROVED", "AUTHORIZED", key))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/v2/payments", callback=created)
        resp = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "capture_method": "manual",
                                                 "payment_method_data": _token_data(), "confirm": True},
                         format="json")  # fmt: skip
        assert [c.request.url for c in mock.calls] == [f"{LIVE}/v2/payments"]
    assert resp.status_code == 200, resp.content
    charge = Charge.objects.get(public_id=resp.json()["latest_charge"])
    assert charge.connector_id == square.pk
    record = charge.routing
    assert record["order"] == [square.public_id]
    reasons = {c["connector"]: c["reason"] for c in record["candidates"]}
    assert reasons[stripe.public_id] == "provider_token_not_usable" and reasons[square.public_id] is None


def test_the_browser_confirms_with_its_square_token_and_the_publishable_key(
    client_for, live, merchant, square
):
    """Square's Web Payments SDK runs in the shopper's browser: the page confirms the intent the
    server created, with the publishable key, the client secret and the token it just got."""
    created = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd"}, format="json").json()
    browser = client_for(merchant, kind="publishable", livemode=True)

    def paid(request):
        key = json.loads(request.body)["reference_id"]
        assert (
            json.loads(request.body)["source_id"] == NONCE
            and json.loads(request.body)["autocomplete"] is True
        )
        return 200, {"Content-Type": "application/json"}, json.dumps(_payment("COMPLETED", "CAPTURED", key))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/v2/payments", callback=paid)
        resp = browser.post(f"/v1/payment_intents/{created['id']}/confirm",
                            {"client_secret": created["client_secret"], "payment_method_data": _token_data()},
                            format="json")  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "succeeded"
    assert NONCE not in resp.content.decode()
    charge = Charge.objects.get(payment_intent__public_id=created["id"])
    assert (charge.status, charge.gateway_reference) == ("succeeded", PAY_ID)
    assert_captured_in_ledger(charge, 1000)


def _authorize_with(live, payment_method_fields):
    def created(request):
        key = json.loads(request.body)["reference_id"]
        return 200, {"Content-Type": "application/json"}, json.dumps(_payment("APPROVED", "AUTHORIZED", key))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/v2/payments", callback=created)
        resp = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "capture_method": "manual",
                                                 "confirm": True, **payment_method_fields}, format="json")  # fmt: skip
        sent = [json.loads(c.request.body) for c in mock.calls]
    assert resp.status_code == 200, resp.content
    return resp.json(), sent


def test_a_single_use_square_nonce_is_spent_by_its_first_authorization(live, merchant, square):
    from apps.vault.services.records import vault_record_read

    first, _ = _authorize_with(live, {"payment_method_data": _token_data()})
    pm = PaymentMethod.objects.get(pk=Charge.objects.get(public_id=first["latest_charge"]).payment_method_id)
    assert pm.card_token_consumed_at is not None
    # the record no longer holds the nonce nor its verification: re-encrypted without them
    assert vault_record_read(pm.vault_record) == {"provider_token": {"provider": "square"}}
    assert_stored_nowhere(NONCE, VERIFICATION)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        again = live.post("/v1/payment_intents", {"amount": 1000, "currency": "usd", "confirm": True,
                                                  "payment_method": pm.public_id}, format="json")  # fmt: skip
        assert len(mock.calls) == 0  # refused before any attempt, never declined by Square
    assert again.status_code == 400, again.content
    error = again.json()["error"]
    assert error["code"] == "payment_method_token_consumed" and error["param"] == "payment_method"


def test_a_square_card_on_file_stays_usable_after_an_authorization(live, merchant, square):
    on_file = "ccof:uIbfJXhXETSP197M3GB"
    first, _ = _authorize_with(
        live, {"payment_method_data": {"type": "card", "card": {"square": {"source_id": on_file}}}}
    )
    pm = PaymentMethod.objects.get(pk=Charge.objects.get(public_id=first["latest_charge"]).payment_method_id)
    assert pm.card_token_consumed_at is None
    second, sent = _authorize_with(live, {"payment_method": pm.public_id})
    assert second["status"] == "requires_capture" and sent[0]["source_id"] == on_file
