"""A Tap payment end to end through the confirm path: the customer goes to Tap's hosted page and
comes back to the connector's gateway return endpoint with ``?tap_id=chg_…``; the return carries
no signature, so the charge is read back from Tap before anything moves (recorded answers,
replayed at the HTTP layer); Tap's webhook about the same outcome is a duplicate."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client

from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.ledger.models import Posting
from apps.merchants.models import MerchantSettings
from apps.webhooks.models import InboundWebhook
from tests.connectors.adapters.tap import conformance as tap
from tests.connectors.conformance.recordings import replay
from tests.intents.helpers import ACTOR

RETURN_URL = "https://shop.example/checkout/done"


@pytest.fixture
def tap_connector(merchant):
    settings = MerchantSettings.objects.get(merchant=merchant)
    settings.allowed_payment_method_types = [*settings.allowed_payment_method_types, "tap"]
    settings.save()
    return connector_create(
        merchant=merchant, livemode=False, type="tap", label="Tap", actor=ACTOR,
        credentials=dict(tap.Recordings.credentials),
    )  # fmt: skip


def _pay(api, connector, charge_id: str):
    sent = {}

    def create(request):
        body = tap.json_of(request)
        sent.update(body)
        answer = tap.charge(charge_id, "INITIATED", "100", "Initiated", key=body["reference"]["transaction"])
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{tap.BASE}/charges", callback=create)
        resp = api.post(
            "/v1/payment_intents",
            {"amount": 10_500, "currency": "kwd", "payment_method_types": ["tap"],
             "payment_method_data": {"type": "tap"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": connector.public_id}},
            format="json",
        )  # fmt: skip
    assert resp.status_code == 200, resp.content
    return resp.json(), sent


def test_a_tap_payment_completes_when_the_customer_returns(api, tap_connector):
    body, sent = _pay(api, tap_connector, tap.PAID_ID)
    assert body["status"] == "requires_action"
    assert body["next_action"]["redirect_to_url"]["url"] == tap.PAGE_URL
    charge = Charge.objects.get(public_id=body["latest_charge"])
    assert sent["reference"]["transaction"] == charge.provider_key
    assert sent["post"]["url"].endswith(f"/v1/webhooks/gateway/{tap_connector.public_id}")
    return_path = urlsplit(sent["redirect"]["url"]).path
    assert return_path.endswith(f"/v1/webhooks/gateway/{tap_connector.public_id}/return")

    # the return is read back (parse) and the charge once more (confirm_redirect)
    paid = tap.charge(tap.PAID_ID, key=charge.provider_key)
    with responses.RequestsMock() as mock:
        replay(mock, [tap.get_exchange(tap.PAID_ID, paid), tap.get_exchange(tap.PAID_ID, paid)])
        back = Client().get(return_path, {"tap_id": tap.PAID_ID})
    assert back.status_code == 302, back.content
    target = urlsplit(back["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == RETURN_URL
    assert parse_qs(target.query)["redirect_status"] == ["succeeded"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 10_500
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.gateway_reference == tap.PAID_ID
    postings = Posting.objects.filter(entry__merchant=charge.merchant).count()
    assert postings > 0

    # Tap's webhook about the same charge arrives after: read back, a duplicate, nothing moves
    with responses.RequestsMock() as mock:
        replay(mock, [tap.get_exchange(tap.PAID_ID, paid)])
        resp = Client().post(f"/v1/webhooks/gateway/{tap_connector.public_id}", json.dumps(paid),
                             content_type="application/json", HTTP_HASHSTRING=tap.hashstring(paid))  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert resp.json()["duplicate"] is True
    assert Posting.objects.filter(entry__merchant=charge.merchant).count() == postings
    assert InboundWebhook.objects.filter(connector=tap_connector).count() == 2


def test_a_return_naming_a_charge_tap_does_not_know_is_refused(api, tap_connector):
    body, sent = _pay(api, tap_connector, tap.PAID_ID)
    not_found = {"errors": [{"code": "1140", "description": "Charge not found"}]}
    with responses.RequestsMock() as mock:
        replay(mock, [tap.get_exchange(tap.FORGED_ID, not_found, status=404)])
        back = Client().get(urlsplit(sent["redirect"]["url"]).path, {"tap_id": tap.FORGED_ID})
    assert back.status_code == 400, back.content
    assert back.json()["error"]["code"] == "webhook_signature_invalid"
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"


def test_a_declined_tap_payment_returns_the_customer_with_failed(api, tap_connector):
    body, sent = _pay(api, tap_connector, tap.DECLINED_ID)
    declined = tap.charge(tap.DECLINED_ID, "DECLINED", "505", "Declined, Insufficient Funds")
    with responses.RequestsMock() as mock:
        replay(
            mock, [tap.get_exchange(tap.DECLINED_ID, declined), tap.get_exchange(tap.DECLINED_ID, declined)]
        )
        back = Client().get(urlsplit(sent["redirect"]["url"]).path, {"tap_id": tap.DECLINED_ID})
    assert parse_qs(urlsplit(back["Location"]).query)["redirect_status"] == ["failed"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == "insufficient_funds"


def _adapter(livemode=False):
    from apps.connectors import registry

    rec = tap.Recordings()
    return registry.adapter_class("tap")(
        credentials=dict(rec.credentials), livemode=livemode, config=dict(rec.config)
    )


def test_a_tap_authorization_is_captured_by_a_charge_on_its_id():
    captured_id = "chg_TS06A5220241203Pq7r0211M370"

    def check(request):
        body = tap.json_of(request)
        assert body["source"] == {"id": tap.AUTH_ID} and body["currency"] == "KWD"
        assert '"amount": 10.500' in request.body.decode()

    with responses.RequestsMock() as mock:
        replay(mock, [tap.Exchange("POST", f"{tap.BASE}/charges", json=tap.charge(captured_id), check=check)])
        result = _adapter().capture(
            idempotency_key="ch_1:capture", gateway_reference=tap.AUTH_ID, amount=10_500, currency="kwd"
        )
    assert result.gateway_reference == captured_id and result.amount == 10_500


def test_a_live_charge_is_not_believed_on_a_test_account():
    from apps.connectors.base import Declined

    live = tap.charge(tap.PAID_ID) | {"live_mode": True}
    result = _adapter()._result(live, tap.PAID_ID, amount=10_500, currency="KWD")
    assert isinstance(result, Declined)


def test_the_secret_key_must_match_the_mode():
    from apps.connectors import registry

    cls = registry.adapter_class("tap")
    with pytest.raises(ValueError):
        cls.validate_credentials({"secret_key": "sk_test_abc"}, livemode=True)
    cls.validate_credentials({"secret_key": "sk_live_abc"}, livemode=True)


def test_a_tap_refund_settles_when_its_webhook_is_read_back(api, tap_connector):
    body, sent = _pay(api, tap_connector, tap.PAID_ID)
    charge = Charge.objects.get(public_id=body["latest_charge"])
    paid = tap.charge(tap.PAID_ID, key=charge.provider_key)
    with responses.RequestsMock() as mock:
        replay(mock, [tap.get_exchange(tap.PAID_ID, paid), tap.get_exchange(tap.PAID_ID, paid)])
        Client().get(urlsplit(sent["redirect"]["url"]).path, {"tap_id": tap.PAID_ID})

    refund = {"id": tap.REFUND_ID, "object": "refund", "api_version": "V2", "live_mode": False,
              "amount": 4.25, "currency": "KWD", "charge_id": tap.PAID_ID, "created": 1764582000000,
              "status": "PENDING", "reason": "requested_by_customer",
              "response": {"code": "100", "message": "Refund is in progress"}}  # fmt: skip
    with responses.RequestsMock() as mock:
        replay(mock, [tap.Exchange("POST", f"{tap.BASE}/refunds", json=refund)])
        created = api.post("/v1/refunds", {"payment_intent": body["id"], "amount": 4_250}, format="json")
    assert created.status_code == 200, created.content
    assert created.json()["status"] == "pending"

    # Tap's webhook names the refund; its state is read back before the refund settles
    settled = refund | {"status": "REFUNDED", "response": {"code": "000", "message": "Refunded"}}
    posted = refund | {"status": "REFUNDED", "reference": {"gateway": "gw_51234", "payment": "5127230745"}}
    path = f"/v1/webhooks/gateway/{tap_connector.public_id}"
    # unsigned, signed by another key, or altered after signing: refused before Tap is asked
    cases = [
        ({}, "webhook_signature_missing"),
        ({"HTTP_HASHSTRING": tap.refund_hashstring(posted, "sk_test_anotherAccountsKey000", amount="4.250")},
         "webhook_signature_invalid"),
        ({"HTTP_HASHSTRING": tap.refund_hashstring(posted | {"status": "FAILED"}, amount="4.250")},
         "webhook_signature_invalid"),
    ]  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for headers, code in cases:
            resp = Client().post(path, json.dumps(posted), content_type="application/json", **headers)
            assert resp.status_code == 400 and resp.json()["error"]["code"] == code, resp.content
        assert len(mock.calls) == 0
    assert api.get(f"/v1/refunds/{created.json()['id']}").json()["status"] == "pending"
    signed = {"HTTP_HASHSTRING": tap.refund_hashstring(posted, amount="4.250")}
    with responses.RequestsMock() as mock:
        replay(mock, [tap.get_exchange_refund(tap.REFUND_ID, settled)])  # still read back
        resp = Client().post(path, json.dumps(posted), content_type="application/json", **signed)
    assert resp.status_code == 200, resp.content
    assert api.get(f"/v1/refunds/{created.json()['id']}").json()["status"] == "succeeded"


def test_a_tap_webhook_without_a_valid_hashstring_is_refused_before_anything_is_asked(api, tap_connector):
    body, _ = _pay(api, tap_connector, tap.PAID_ID)
    paid = tap.charge(tap.PAID_ID)
    path = f"/v1/webhooks/gateway/{tap_connector.public_id}"
    cases = [
        ({}, "webhook_signature_missing"),
        (
            {"HTTP_HASHSTRING": tap.hashstring(paid, "sk_test_anotherAccountsKey000")},
            "webhook_signature_invalid",
        ),
        ({"HTTP_HASHSTRING": tap.hashstring(paid | {"status": "DECLINED"})}, "webhook_signature_invalid"),
    ]
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach Tap
        for headers, code in cases:
            resp = Client().post(path, json.dumps(paid), content_type="application/json", **headers)
            assert resp.status_code == 400, resp.content
            assert resp.json()["error"]["code"] == code
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"


def test_the_hashstring_is_the_documented_hmac_with_the_currency_decimals():
    import hashlib
    import hmac
    from decimal import Decimal

    from apps.connectors.adapters.tap import webhooks

    payload = {"id": "chg_1", "amount": Decimal("1.5"), "currency": "KWD", "status": "CAPTURED",
               "reference": {"gateway": "gw", "payment": "py"}, "transaction": {"created": "1700"}}  # fmt: skip
    text = "x_idchg_1x_amount1.500x_currencyKWDx_gateway_referencegwx_payment_referencepyx_statusCAPTUREDx_created1700"
    expected = hmac.new(b"test-secret", text.encode(), hashlib.sha256).hexdigest()
    assert webhooks.hashstring(payload, "test-secret") == expected
    assert webhooks.valid(payload, "test-secret", expected.upper())
    assert not webhooks.valid(payload, "other-secret", expected)
    two_decimals = payload | {"amount": 10, "currency": "SAR"}
    assert "x_amount10.00x_currencySAR" in webhooks.signed_string(two_decimals)


def test_a_manual_capture_tap_payment_returning_authorized_awaits_capture(api, tap_connector):
    def create(request):
        body = tap.json_of(request)
        answer = tap.charge(
            tap.AUTH_ID, "INITIATED", "100", "Initiated", key=body["reference"]["transaction"]
        )
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{tap.BASE}/authorize", callback=create)
        body = api.post(
            "/v1/payment_intents",
            {"amount": 10_500, "currency": "kwd", "payment_method_types": ["tap"], "capture_method": "manual",
             "payment_method_data": {"type": "tap"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": tap_connector.public_id}},
            format="json",
        ).json()  # fmt: skip
    assert body["status"] == "requires_action"
    authorized = tap.charge(tap.AUTH_ID, "AUTHORIZED", "000", "Authorized")
    with responses.RequestsMock() as mock:
        replay(mock, [tap.get_exchange(tap.AUTH_ID, authorized), tap.get_exchange(tap.AUTH_ID, authorized)])
        back = Client().get(f"/v1/webhooks/gateway/{tap_connector.public_id}/return", {"tap_id": tap.AUTH_ID})
    assert parse_qs(urlsplit(back["Location"]).query)["redirect_status"] == ["succeeded"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_capture" and intent["amount_capturable"] == 10_500
