"""The re-check janitors on follow-ups (capture, void, refund) left without an answer: asked with
the operation and the payment's provider id where the provider can look it up (the sandbox;
Stripe, recorded answers), left to the provider's notification and escalated for review where it
cannot (Adyen, recorded answers), never sent again on a guess."""

import datetime as dt
import json
import re
from datetime import timedelta

import pytest
import requests
import responses
from django.test import Client

from apps.audit.models import AuditEntry
from apps.connectors.adapters.adyen.webhooks import sign_item
from apps.connectors.models import SandboxTransaction
from apps.connectors.services import connector_create
from apps.intents import services
from apps.intents.models import Charge
from apps.refunds import services as refunds
from apps.refunds.models import Refund
from tests.connectors.adapters.stripe import payloads as p
from tests.intents.helpers import ACTOR, make_card, pay

# --- the sandbox: every follow-up can be looked up ---------------------------------------------


def test_a_void_that_timed_out_is_looked_up_and_recorded(api, card):
    body = pay(
        api, card(), capture_method="manual", metadata={"sandbox_fault": "void:timeout_after_processing"}
    ).json()
    resp = api.post(f"/v1/payment_intents/{body['id']}/cancel", {}, format="json")
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert charge.pending_operation == "void", resp.json()
    assert services.payment_intents_recheck(older_than=timedelta(0)) == {
        "authorizations": 0, "operations": 1, "escalated": 0,
    }  # fmt: skip
    after = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert after["status"] == "canceled"
    charge.refresh_from_db()
    assert (charge.status, charge.pending_operation) == ("canceled", "")


def test_a_refund_that_timed_out_is_looked_up_not_sent_again(api, card):
    body = pay(api, card(), metadata={"sandbox_fault": "refund:timeout_after_processing"}).json()
    data = api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 400}, format="json").json()
    refund = Refund.objects.get(public_id=data["id"])
    assert (refund.status, refund.submission) == ("pending", "unknown")
    assert refunds.refunds_recheck(older_than=timedelta(0)) == 1
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.gateway_reference.startswith("sbxre")
    # the acquirer holds one refund under our key: the janitor asked, it did not send it again
    assert (
        SandboxTransaction.objects.filter(operation="refund", idempotency_key=refund.provider_key).count()
        == 1
    )


def test_a_refund_the_acquirer_never_received_is_sent_again_under_the_same_key(api, card):
    body = pay(api, card(), metadata={"sandbox_fault": "refund:timeout"}).json()
    data = api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 400}, format="json").json()
    assert Refund.objects.get(public_id=data["id"]).submission == "unknown"
    api.post(f"/v1/payment_intents/{body['id']}", {"metadata": {"sandbox_fault": ""}}, format="json")
    assert refunds.refunds_recheck(older_than=timedelta(0)) == 1
    assert Refund.objects.get(public_id=data["id"]).status == "succeeded"


# --- Stripe: follow-ups looked up on the PaymentIntent (recorded answers) ------------------------

STRIPE_KEY = "sk_live_51QJanitorFollowUps0000000000000eeee"
PI = "pi_3QJanitorFollowUp00001"


@pytest.fixture
def stripe_held(client_for, merchant):
    connector_create(merchant=merchant, livemode=True, type="stripe", label="Stripe", actor=ACTOR,
                     credentials={"secret_key": STRIPE_KEY})  # fmt: skip
    live = client_for(merchant, livemode=True)
    held = p.intent(PI, status="requires_capture", capture_method="manual", capturable=2000, amount=2000,
                    latest_charge=p.charge(PI, amount=2000, captured=False)) | {"livemode": True}  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://api.stripe.com/v1/payment_intents", json=held)
        body = live.post("/v1/payment_intents", {"amount": 2000, "currency": "eur", "confirm": True,
                                                 "payment_method": make_card(merchant, "4242424242424242",
                                                                             livemode=True).public_id,
                                                 "capture_method": "manual"}, format="json").json()  # fmt: skip
    assert body["status"] == "requires_capture", body
    return live, body


def test_a_stripe_capture_that_timed_out_is_found_on_the_payment_intent(stripe_held):
    live, body = stripe_held
    with responses.RequestsMock() as mock:
        mock.add("POST", f"https://api.stripe.com/v1/payment_intents/{PI}/capture",
                 body=requests.exceptions.ReadTimeout())  # fmt: skip
        live.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert Charge.objects.get(public_id=body["latest_charge"]).pending_operation == "capture"
    captured = p.intent(PI, status="succeeded", capture_method="manual", amount=2000, received=2000,
                        latest_charge=p.charge(PI, amount=2000)) | {"livemode": True}  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add("GET", re.compile(rf"https://api\.stripe\.com/v1/payment_intents/{PI}\?.*"), json=captured)
        assert services.payment_intents_recheck(older_than=timedelta(0))["operations"] == 1
        assert [c.request.method for c in mock.calls] == ["GET"]  # asked, not captured again
    after = live.get(f"/v1/payment_intents/{body['id']}").json()
    assert (after["status"], after["amount_received"]) == ("succeeded", 2000)


def test_a_stripe_refund_that_timed_out_is_found_by_our_key(stripe_held):
    live, body = stripe_held
    captured = p.intent(PI, status="succeeded", capture_method="manual", amount=2000, received=2000,
                        latest_charge=p.charge(PI, amount=2000)) | {"livemode": True}  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add("POST", f"https://api.stripe.com/v1/payment_intents/{PI}/capture", json=captured)
        live.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
        mock.add("POST", "https://api.stripe.com/v1/refunds", body=requests.exceptions.ReadTimeout())
        data = live.post("/v1/refunds", {"payment_intent": body["id"], "amount": 500}, format="json").json()
    refund = Refund.objects.get(public_id=data["id"])
    assert refund.submission == "unknown"
    ours = p.refund("re_3QJanitorFollowUp0001", PI, amount=500) | {
        "metadata": {"clearhouse_idempotency_key": refund.provider_key}}  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add("GET", re.compile(r"https://api\.stripe\.com/v1/refunds\?.*"),
                 json={"object": "list", "data": [ours], "has_more": False, "url": "/v1/refunds"})  # fmt: skip
        assert refunds.refunds_recheck(older_than=timedelta(0)) == 1
        assert f"payment_intent={PI}" in mock.calls[0].request.url
    refund.refresh_from_db()
    assert (refund.status, refund.gateway_reference) == ("succeeded", "re_3QJanitorFollowUp0001")


# --- Adyen: no lookup of any operation; notifications, then review ---------------------------

ADYEN_KEY = "AQEqhmfuXNWTK0Qc+iSS3VI3g/2ihI0eB2xJLiVdRm3zcAA0EMFdWw2+5HzctViMSCJMYAc=-JanitorFollowUps01"
ADYEN_HMAC = "B7E8D1A3C0F2E4D6B8A0C2E4F6A8B0C2D4E6F8A0B2C4D6E8F0A2B4C6D8E0F2A4"
PREFIX = "1797a841fbb37ca7-ClearhouseCOM"
CHECKOUT = f"https://{PREFIX}-checkout-live.adyenpayments.com/checkout/v72"
PSP = "KHQC5N7G84BLNK43"


@pytest.fixture
def adyen_held(client_for, merchant):
    connector = connector_create(
        merchant=merchant, livemode=True, type="adyen", label="Adyen", actor=ACTOR,
        credentials={"api_key": ADYEN_KEY, "hmac_key": ADYEN_HMAC},
        config={"merchant_account": "ClearhouseECOM", "live_endpoint_prefix": PREFIX},
    )  # fmt: skip
    live = client_for(merchant, livemode=True)
    answer = {"pspReference": PSP, "resultCode": "Authorised", "additionalData": {"authCode": "112233"}}
    with responses.RequestsMock() as mock:
        mock.add("POST", f"{CHECKOUT}/payments", json=answer)
        body = live.post("/v1/payment_intents", {"amount": 2000, "currency": "eur", "confirm": True,
                                                 "payment_method": make_card(merchant, "4111111111111111",
                                                                             livemode=True).public_id,
                                                 "capture_method": "manual"}, format="json").json()  # fmt: skip
    assert body["status"] == "requires_capture", body
    return connector, live, body


def _notify(connector, *, code: str, psp: str, original: str, merchant_reference: str, value: int):
    item = {
        "additionalData": {}, "amount": {"currency": "EUR", "value": value}, "eventCode": code,
        "eventDate": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "merchantAccountCode": "ClearhouseECOM", "merchantReference": merchant_reference,
        "originalReference": original, "paymentMethod": "visa", "pspReference": psp, "reason": "", "success": "true",
    }  # fmt: skip
    item["additionalData"]["hmacSignature"] = sign_item(item, ADYEN_HMAC)
    body = json.dumps({"live": "true", "notificationItems": [{"NotificationRequestItem": item}]}).encode()
    resp = Client().post(f"/v1/webhooks/gateway/{connector.public_id}", body, content_type="application/json")
    assert resp.status_code == 200, resp.content


def test_an_adyen_capture_without_answer_waits_for_the_capture_notification(adyen_held):
    connector, live, body = adyen_held
    with responses.RequestsMock() as mock:
        mock.add("POST", f"{CHECKOUT}/payments/{PSP}/captures", body=requests.exceptions.ReadTimeout())
        live.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert charge.pending_operation == "capture"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:  # Adyen cannot be asked
        assert services.payment_intents_recheck(older_than=timedelta(0)) == {
            "authorizations": 0, "operations": 0, "escalated": 0,
        }  # fmt: skip
        assert len(mock.calls) == 0
    _notify(connector, code="CAPTURE", psp="QJCMPCF7BCC3ZH82", original=PSP,
            merchant_reference=f"{charge.public_id}:capture", value=2000)  # fmt: skip
    after = live.get(f"/v1/payment_intents/{body['id']}").json()
    assert (after["status"], after["amount_received"]) == ("succeeded", 2000)


def test_an_adyen_void_nothing_answers_is_escalated_for_review_once(adyen_held):
    connector, live, body = adyen_held
    with responses.RequestsMock() as mock:
        mock.add("POST", f"{CHECKOUT}/payments/{PSP}/cancels", body=requests.exceptions.ReadTimeout())
        live.post(f"/v1/payment_intents/{body['id']}/cancel", {}, format="json")
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert charge.pending_operation == "void"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # within the wait for Adyen's CANCELLATION notification: nothing happens
        assert services.payment_intents_recheck(older_than=timedelta(0))["escalated"] == 0
        # past it: one review item, then the janitor leaves it alone
        first = services.payment_intents_recheck(older_than=timedelta(0), escalate_after=timedelta(0))
        again = services.payment_intents_recheck(older_than=timedelta(0), escalate_after=timedelta(0))
        assert len(mock.calls) == 0
    assert (first["escalated"], again["escalated"]) == (1, 0)
    entry = AuditEntry.objects.get(action="charge.review_needed", object_id=charge.public_id)
    assert entry.after["operation"] == "void" and entry.after["provider"] == "adyen"
    charge.refresh_from_db()
    assert charge.pending_operation == "void"  # left for the notification or a person, not guessed
    _notify(connector, code="CANCELLATION", psp="ZVLWQR6RS6K4G382", original=PSP,
            merchant_reference=f"{charge.public_id}:void", value=2000)  # fmt: skip
    assert live.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "canceled"


def test_an_adyen_refund_without_answer_is_escalated_then_its_notification_finds_it(adyen_held):
    connector, live, body = adyen_held
    capture = {"pspReference": "QJCMPCF7BCC3ZH82", "paymentPspReference": PSP, "status": "received",
               "amount": {"currency": "EUR", "value": 2000}, "merchantAccount": "ClearhouseECOM"}  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add("POST", f"{CHECKOUT}/payments/{PSP}/captures", status=201, json=capture)
        live.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
        mock.add("POST", f"{CHECKOUT}/payments/{PSP}/refunds", body=requests.exceptions.ReadTimeout())
        data = live.post("/v1/refunds", {"payment_intent": body["id"], "amount": 700}, format="json").json()
    refund = Refund.objects.get(public_id=data["id"])
    assert (refund.submission, refund.gateway_reference) == ("unknown", "")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:  # never re-sent, never asked
        assert refunds.refunds_recheck(older_than=timedelta(0)) == 0
        assert refunds.refunds_recheck(older_than=timedelta(0), escalate_after=timedelta(0)) == 1
        assert refunds.refunds_recheck(older_than=timedelta(0), escalate_after=timedelta(0)) == 0
        assert len(mock.calls) == 0
    assert AuditEntry.objects.filter(action="refund.review_needed", object_id=refund.public_id).count() == 1
    # Adyen's REFUND notification names the refund by our key (merchantReference)
    _notify(connector, code="REFUND", psp="Z3L4W6PXLGCC6K82", original=PSP,
            merchant_reference=refund.provider_key, value=700)  # fmt: skip
    refund.refresh_from_db()
    assert (refund.status, refund.gateway_reference) == ("succeeded", "Z3L4W6PXLGCC6K82")
