"""Adyen's 3D Secure round trip through the real confirm path and the gateway return endpoint:
confirm answers requires_action with Adyen's redirect URL, the /payments request names
Clearhouse's gateway return (our signed reference), the shopper comes back there with Adyen's
redirectResult, /payments/details answers the outcome, the charge is completed and the shopper is
sent on to the merchant's return_url with redirect_status. And an AUTHORISATION notification for
an attempt whose /payments call timed out finds the attempt by merchantReference (recorded
Checkout API v72 answers, replayed at the HTTP layer)."""

import datetime as dt
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import responses
from django.test import Client

from apps.connectors.adapters.adyen.webhooks import sign_item
from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.webhooks.models import InboundWebhook
from tests.connectors.conformance.recordings import json_of
from tests.intents.helpers import ACTOR, make_card

KEY = "AQEqhmfuXNWTK0Qc+iSS3VI3g/2ihI0eB2xJLiVdRm3zcAA0EMFdWw2+5HzctViMSCJMYAc=-ThreeDSReturnKey001"
HMAC_KEY = "B7E8D1A3C0F2E4D6B8A0C2E4F6A8B0C2D4E6F8A0B2C4D6E8F0A2B4C6D8E0F2A4"
PREFIX = "1797a841fbb37ca7-ClearhouseCOM"
CHECKOUT = f"https://{PREFIX}-checkout-live.adyenpayments.com/checkout/v72"
MERCHANT_ACCOUNT = "ClearhouseECOM"
SHOP_RETURN = "https://shop.example/checkout/done"
ACS = "https://checkoutshopper-live.adyen.com/checkoutshopper/threeDS/redirect?MD=M2RzZXJ2ZXI6OmE0YTk5"
REDIRECT_RESULT = "Ab02b4c0!BQABAgCW5sxB4e%2F%3D%3D..."


@pytest.fixture
def adyen(merchant):
    return connector_create(
        merchant=merchant, livemode=True, type="adyen", label="Adyen EU", actor=ACTOR,
        credentials={"api_key": KEY, "hmac_key": HMAC_KEY},
        config={"merchant_account": MERCHANT_ACCOUNT, "live_endpoint_prefix": PREFIX},
    )  # fmt: skip


def _redirect_shopper(request):
    body = json_of(request)
    answer = {
        "resultCode": "RedirectShopper",
        "action": {"paymentMethodType": "scheme", "method": "GET", "type": "redirect", "url": ACS},
        "merchantReference": body["reference"],
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(answer)


def _confirm(client_for, merchant, sent: dict):
    live = client_for(merchant, livemode=True)
    pm = make_card(merchant, "4917610000000000", livemode=True)

    def payments(request):
        sent.update(json_of(request))
        return _redirect_shopper(request)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{CHECKOUT}/payments", callback=payments)
        resp = live.post("/v1/payment_intents", {"amount": 2500, "currency": "eur", "payment_method": pm.public_id,
                                                 "confirm": True, "return_url": SHOP_RETURN,
                                                 "request_three_d_secure": "any"},
                         format="json")  # fmt: skip
    assert resp.status_code == 200, resp.content
    return live, resp.json()


def _details_answer(result_code: str, **extra):
    def answer(request):
        assert json_of(request) == {"details": {"redirectResult": REDIRECT_RESULT}}
        assert request.headers["X-API-Key"] == KEY
        body = {
            "pspReference": "QWX4ZBC9RN8TRB65",
            "resultCode": result_code,
            "merchantReference": "x",
            **extra,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    return answer


def test_an_adyen_3ds_payment_returns_through_the_gateway_and_completes(client_for, merchant, adyen):
    sent: dict = {}
    live, intent = _confirm(client_for, merchant, sent)
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["redirect_to_url"]["url"] == ACS
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    # Adyen sends the shopper back to Clearhouse's gateway return, naming our charge, signed
    back = urlsplit(sent["returnUrl"])
    assert back.path == f"/v1/webhooks/gateway/{adyen.public_id}/return"
    assert parse_qs(back.query)["reference"] == [charge.public_id] == [sent["reference"]]
    assert sent["authenticationData"] == {"attemptAuthentication": "always"}

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{CHECKOUT}/payments/details",
                          callback=_details_answer("Authorised", additionalData={"authCode": "083117"}))  # fmt: skip
        # Adyen appends redirectResult to the returnUrl (HTTP GET)
        shopper = Client().get(f"{back.path}?{back.query}&{urlencode({'redirectResult': REDIRECT_RESULT})}")
    assert shopper.status_code == 302, shopper.content
    target = urlsplit(shopper["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == SHOP_RETURN
    assert parse_qs(target.query)["redirect_status"] == ["succeeded"]
    assert parse_qs(target.query)["payment_intent"] == [intent["id"]]

    after = live.get(f"/v1/payment_intents/{intent['id']}").json()
    assert after["status"] == "succeeded" and after["amount_received"] == 2500
    charge.refresh_from_db()
    assert (charge.status, charge.gateway_reference) == ("succeeded", "QWX4ZBC9RN8TRB65")
    row = InboundWebhook.objects.get(connector=adyen)
    assert (row.event_type, row.status) == ("charge.action_returned", "processed")

    # the shopper reloads the page: a duplicate, Adyen is not asked again
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        again = Client().get(f"{back.path}?{back.query}&{urlencode({'redirectResult': REDIRECT_RESULT})}")
    assert again.status_code == 302
    assert InboundWebhook.objects.filter(connector=adyen, status="duplicate").count() == 1


def test_an_adyen_3ds_refusal_returns_the_shopper_with_failed(client_for, merchant, adyen):
    sent: dict = {}
    live, intent = _confirm(client_for, merchant, sent)
    back = urlsplit(sent["returnUrl"])
    refused = _details_answer("Refused", refusalReason="3D Not Authenticated", refusalReasonCode="11")
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{CHECKOUT}/payments/details", callback=refused)
        shopper = Client().get(f"{back.path}?{back.query}&{urlencode({'redirectResult': REDIRECT_RESULT})}")
    assert parse_qs(urlsplit(shopper["Location"]).query)["redirect_status"] == ["failed"]
    after = live.get(f"/v1/payment_intents/{intent['id']}").json()
    assert after["status"] == "requires_payment_method"
    assert after["last_payment_error"]["decline_code"] == "authentication_failed"


def test_a_return_without_our_signature_is_refused_and_asks_adyen_nothing(client_for, merchant, adyen):
    sent: dict = {}
    live, intent = _confirm(client_for, merchant, sent)
    path = f"/v1/webhooks/gateway/{adyen.public_id}/return"
    charge = intent["latest_charge"]
    forged = {"reference": charge, "signature": "0" * 64, "redirectResult": REDIRECT_RESULT}
    unsigned = {"reference": charge, "redirectResult": REDIRECT_RESULT}
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach Adyen
        for fields in (forged, unsigned):
            resp = Client().get(f"{path}?{urlencode(fields)}")
            assert resp.status_code == 400, resp.content
            assert resp.json()["error"]["code"] in ("webhook_signature_invalid", "webhook_signature_missing")
    assert live.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "requires_action"


def _notification(*, psp: str, merchant_reference: str, success: bool = True) -> bytes:
    item = {
        "additionalData": {"authCode": "083117", "cardSummary": "0000", "expiryDate": "03/2030"},
        "amount": {"currency": "EUR", "value": 2500},
        "eventCode": "AUTHORISATION",
        "eventDate": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "merchantAccountCode": MERCHANT_ACCOUNT,
        "merchantReference": merchant_reference,
        "operations": ["CANCEL", "CAPTURE", "REFUND"],
        "paymentMethod": "visa",
        "pspReference": psp,
        "reason": "083117:0000:03/2030" if success else "Not enough balance",
        "success": "true" if success else "false",
    }
    item["additionalData"]["hmacSignature"] = sign_item(item, HMAC_KEY)
    return json.dumps({"live": "true", "notificationItems": [{"NotificationRequestItem": item}]}).encode()


def test_an_authorisation_notification_completes_an_attempt_whose_payments_call_timed_out(
    client_for, merchant, adyen
):
    live = client_for(merchant, livemode=True)
    pm = make_card(merchant, "4111111111111111", livemode=True)
    with responses.RequestsMock() as mock:
        mock.add("POST", f"{CHECKOUT}/payments", body=requests.exceptions.ReadTimeout())
        resp = live.post("/v1/payment_intents", {"amount": 2500, "currency": "eur", "payment_method": pm.public_id,
                                                 "confirm": True}, format="json")  # fmt: skip
    intent = resp.json()
    assert intent["status"] == "processing", intent
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    assert (charge.status, charge.gateway_reference) == ("unknown", "")

    # Adyen's notification knows its pspReference; we only know our reference (merchantReference)
    body = _notification(psp="JD7Q5S3LB2KGWZ65", merchant_reference=charge.public_id)
    hook = Client().post(f"/v1/webhooks/gateway/{adyen.public_id}", body, content_type="application/json")
    assert hook.status_code == 200, hook.content
    assert InboundWebhook.objects.get(connector=adyen).result == "applied"
    charge.refresh_from_db()
    assert (charge.status, charge.gateway_reference) == ("succeeded", "JD7Q5S3LB2KGWZ65")
    assert live.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "succeeded"


def test_an_authorisation_naming_our_reference_for_another_psp_payment_changes_nothing(
    client_for, merchant, adyen
):
    live = client_for(merchant, livemode=True)
    pm = make_card(merchant, "4111111111111111", livemode=True)
    answer = {
        "pspReference": "V4HZ4RBFJGXXGN82",
        "resultCode": "Authorised",
        "additionalData": {"authCode": "1"},
    }
    with responses.RequestsMock() as mock:
        mock.add("POST", f"{CHECKOUT}/payments", json=answer)
        intent = live.post("/v1/payment_intents", {"amount": 2500, "currency": "eur", "payment_method": pm.public_id,
                                                   "confirm": True, "capture_method": "manual"},
                           format="json").json()  # fmt: skip
    assert intent["status"] == "requires_capture"
    body = _notification(psp="OTHER5S3LB2KGWZ6", merchant_reference=intent["latest_charge"], success=False)
    Client().post(f"/v1/webhooks/gateway/{adyen.public_id}", body, content_type="application/json")
    assert InboundWebhook.objects.get(connector=adyen).result == "unknown_reference"
    assert live.get(f"/v1/payment_intents/{intent['id']}").json()["status"] == "requires_capture"


def test_an_authorisation_notification_before_the_shoppers_return_completes_the_payment(
    client_for, merchant, adyen
):
    sent: dict = {}
    _live, intent = _confirm(client_for, merchant, sent)
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    body = _notification(psp="LB9T4S3LB2KGWZ65", merchant_reference=charge.public_id)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:  # Adyen is not asked
        hook = Client().post(f"/v1/webhooks/gateway/{adyen.public_id}", body, content_type="application/json")
        assert len(mock.calls) == 0
    assert hook.status_code == 200, hook.content
    charge.refresh_from_db()
    assert (charge.status, charge.gateway_reference) == ("succeeded", "LB9T4S3LB2KGWZ65")
    # the shopper's return after it changes nothing and still lands on the merchant's page
    back = urlsplit(sent["returnUrl"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        shopper = Client().get(f"{back.path}?{back.query}&{urlencode({'redirectResult': REDIRECT_RESULT})}")
        assert len(mock.calls) == 0
    assert parse_qs(urlsplit(shopper["Location"]).query)["redirect_status"] == ["succeeded"]
