"""3DS through the sandbox ACS page and redirect / QR payments through the sandbox wallet."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.intents.models import Charge
from apps.merchants.models import MerchantSettings
from tests.intents.helpers import path_of, pay

RETURN_URL = "https://shop.example/return?cart=9"


def _three_ds(api, card, number="4000002760003184", **kw):
    resp = pay(api, card(number), return_url=RETURN_URL, **kw)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["status"] == "requires_action"
    assert body["next_action"]["type"] == "redirect_to_url"
    return body


def test_3ds_challenge_approved_on_the_acs_page(api, card):
    body = _three_ds(api, card)
    browser = Client()
    acs = path_of(body["next_action"]["redirect_to_url"]["url"])
    page = browser.get(acs)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Complete authentication" in html and "20.00 USD" in html and "3184" in html
    assert "4000002760003184" not in html
    done = browser.post(acs, {"action": "authenticate"})
    assert done.status_code == 302
    target = urlsplit(done["Location"])
    assert target.netloc == "shop.example"
    query = parse_qs(target.query)
    assert query["redirect_status"] == ["succeeded"] and query["payment_intent"] == [body["id"]]
    assert query["cart"] == ["9"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded" and intent["next_action"] is None
    charge = api.get(f"/v1/charges/{intent['latest_charge']}").json()
    assert charge["three_d_secure"]["authenticated"] is True
    # the session is used up: replays find nothing
    assert browser.get(acs).status_code == 404


def test_3ds_challenge_failed_on_the_acs_page(api, card):
    body = _three_ds(api, card)
    browser = Client()
    acs = path_of(body["next_action"]["redirect_to_url"]["url"])
    done = browser.post(acs, {"action": "fail"})
    assert parse_qs(urlsplit(done["Location"]).query)["redirect_status"] == ["failed"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["code"] == "payment_intent_authentication_failure"


def test_3ds_with_manual_capture_then_capture(api, card):
    body = _three_ds(api, card, capture_method="manual")
    Client().post(path_of(body["next_action"]["redirect_to_url"]["url"]), {"action": "authenticate"})
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_capture"
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.json()["status"] == "succeeded"


def test_3ds_complete_through_the_api_callback(api, card):
    body = _three_ds(api, card, number="4000002500003155")
    nxt = api.get(f"/v1/payment_intents/{body['id']}/next_action").json()
    assert nxt["next_action"]["type"] == "redirect_to_url"
    resp = api.post(
        f"/v1/payment_intents/{body['id']}/3ds/complete", {"result": "authenticated"}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "succeeded"
    again = api.post(f"/v1/payment_intents/{body['id']}/3ds/complete", {"result": "failed"}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "payment_intent_unexpected_state"


def test_3ds_then_declined_card(api, card):
    body = _three_ds(api, card, number="4000008400001629")
    resp = api.post(
        f"/v1/payment_intents/{body['id']}/3ds/complete", {"result": "authenticated"}, format="json"
    )
    assert resp.status_code == 402
    assert resp.json()["error"]["payment_intent"]["status"] == "requires_payment_method"


def test_on_session_3ds_card_passes_off_session(api, card):
    resp = pay(api, card("4000002500003155"), off_session=True)
    assert resp.json()["status"] == "succeeded"
    resp = pay(api, card("4000002760003184"), off_session=True)
    assert resp.status_code == 402
    assert resp.json()["error"]["code"] == "authentication_required"


def test_merchant_policy_always_forces_3ds_on_a_plain_card(api, card, merchant):
    MerchantSettings.objects.filter(merchant=merchant).update(three_ds_policy="always")
    body = pay(api, card(), return_url=RETURN_URL).json()
    assert body["status"] == "requires_action"


def _wallet(api, pm_type, **kw):
    resp = api.post(
        "/v1/payment_intents",
        {"amount": 1234, "currency": "eur", "payment_method_types": [pm_type],
         "payment_method_data": {"type": pm_type}, "confirm": True, "return_url": RETURN_URL, **kw},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 200, resp.json()
    return resp.json()


def test_paypal_redirect_approved(api):
    body = _wallet(api, "paypal")
    assert body["status"] == "requires_action"
    url = path_of(body["next_action"]["redirect_to_url"]["url"])
    browser = Client()
    page = browser.get(url)
    assert (
        page.status_code == 200
        and "Approve payment" in page.content.decode()
        and "12.34 EUR" in page.content.decode()
    )
    done = browser.post(url, {"action": "approve"})
    assert parse_qs(urlsplit(done["Location"]).query)["redirect_status"] == ["succeeded"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded"
    assert Charge.objects.get(public_id=intent["latest_charge"]).payment_method_type == "paypal"


def test_paypal_redirect_abandoned(api):
    body = _wallet(api, "paypal")
    done = Client().post(path_of(body["next_action"]["redirect_to_url"]["url"]), {"action": "abandon"})
    assert parse_qs(urlsplit(done["Location"]).query)["redirect_status"] == ["failed"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method"
    assert "abandoned" in intent["last_payment_error"]["message"]


@pytest.fixture
def qr_enabled(merchant):
    s = MerchantSettings.objects.get(merchant=merchant)
    s.allowed_payment_method_types = [*s.allowed_payment_method_types, "wechat_pay"]
    s.save()


def test_qr_payment_approved(api, qr_enabled):
    body = _wallet(api, "wechat_pay")
    qr = body["next_action"]["display_qr_code"]
    assert body["next_action"]["type"] == "display_qr_code" and qr["data"]
    browser = Client()
    svg = browser.get(path_of(qr["image_url_svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    page = browser.get(path_of(qr["hosted_instructions_url"]))
    assert "<svg" in page.content.decode()
    browser.post(path_of(qr["hosted_instructions_url"]), {"action": "approve"})
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "succeeded"


def test_qr_payment_abandoned_then_canceled(api, qr_enabled):
    body = _wallet(api, "wechat_pay")
    Client().post(
        path_of(body["next_action"]["display_qr_code"]["hosted_instructions_url"]), {"action": "abandon"}
    )
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_payment_method"
    resp = api.post(
        f"/v1/payment_intents/{body['id']}/cancel", {"cancellation_reason": "abandoned"}, format="json"
    )
    assert resp.json()["status"] == "canceled"


def test_cancel_while_requires_action(api, card):
    body = _three_ds(api, card)
    resp = api.post(f"/v1/payment_intents/{body['id']}/cancel", {}, format="json")
    assert resp.json()["status"] == "canceled"
    assert Client().get(path_of(body["next_action"]["redirect_to_url"]["url"])).status_code == 404


def test_unknown_acs_reference_is_404(db):
    assert Client().get("/sandbox/acs/acs_doesnotexist").status_code == 404
