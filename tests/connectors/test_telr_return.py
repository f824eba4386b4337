"""A live-mode Telr payment end to end through the confirm path: the customer goes to Telr's hosted
page and comes back to the connector's gateway return endpoint, which Telr reaches with no
parameters of its own — the return URL names only our cart. The return path finds the order ref
stored for that cart and reads the order back with ``order.json`` ``check`` before anything moves
(recorded answers, replayed at the HTTP layer); Telr's signed transaction advice about the same
transaction is a duplicate; a refund goes through the Remote API."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from django.test import Client

from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.ledger.models import Posting
from apps.merchants.models import MerchantSettings
from apps.webhooks.models import InboundWebhook
from tests.connectors.adapters.telr import conformance as telr
from tests.connectors.conformance.recordings import replay
from tests.intents.helpers import ACTOR

RETURN_URL = "https://shop.example/checkout/done"


@pytest.fixture
def live(client_for, merchant):
    return client_for(merchant, livemode=True)


@pytest.fixture
def telr_connector(merchant):
    settings = MerchantSettings.objects.get(merchant=merchant)
    settings.allowed_payment_method_types = [*settings.allowed_payment_method_types, "telr"]
    settings.save()
    return connector_create(
        merchant=merchant, livemode=True, type="telr", label="Telr UAE", actor=ACTOR,
        credentials=dict(telr.Recordings.credentials),
    )  # fmt: skip


def _pay(api, connector, ref: str):
    sent = {}

    def create(request):
        sent.update(telr.form_of(request))
        return 200, {"Content-Type": "application/json"}, telr.json_dumps(telr.created(ref))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", telr.ORDER_URL, callback=create)
        resp = api.post(
            "/v1/payment_intents",
            {"amount": 10_500, "currency": "aed", "payment_method_types": ["telr"],
             "payment_method_data": {"type": "telr"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": connector.public_id}},
            format="json",
        )  # fmt: skip
    assert resp.status_code == 200, resp.content
    return resp.json(), sent


def _live_order(ref, cart, *args, **kwargs):
    return telr.order(ref, cart, *args, test=0, **kwargs)


def _return(sent: dict):
    """The customer's browser back from Telr's page: exactly the URL Telr was given."""
    parts = urlsplit(sent["return_auth"])
    return Client().get(parts.path, dict(parse_qs(parts.query)))


def test_a_live_telr_payment_completes_when_its_order_is_read_back(live, telr_connector):
    body, sent = _pay(live, telr_connector, telr.PAID_REF)
    assert body["status"] == "requires_action" and body["livemode"] is True
    assert body["next_action"]["redirect_to_url"]["url"] == telr.page_url(telr.PAID_REF)
    charge = Charge.objects.get(public_id=body["latest_charge"])
    # live mode: no test flag; our key as the cart; back to Clearhouse, advices to Clearhouse
    assert sent["ivp_test"] == "0" and sent["ivp_cart"] == charge.provider_key
    assert sent["ivp_amount"] == "105.00" and sent["ivp_trantype"] == "sale"
    assert sent["ivp_update_url"].endswith(f"/v1/webhooks/gateway/{telr_connector.public_id}")
    back_url = urlsplit(sent["return_auth"])
    assert back_url.path.endswith(f"/v1/webhooks/gateway/{telr_connector.public_id}/return")
    assert parse_qs(back_url.query) == {"cart": [charge.provider_key]}
    assert charge.gateway_reference == telr.PAID_REF

    paid = _live_order(telr.PAID_REF, charge.provider_key)
    with responses.RequestsMock() as mock:  # the return's read-back, then confirm_redirect's
        replay(mock, [telr.check_exchange(telr.PAID_REF, paid), telr.check_exchange(telr.PAID_REF, paid)])
        back = _return(sent)
    assert back.status_code == 302, back.content
    target = urlsplit(back["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == RETURN_URL
    assert parse_qs(target.query)["redirect_status"] == ["succeeded"]
    intent = live.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 10_500
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.gateway_reference == telr.PAID_REF
    assert charge.authorization_code == "940622"
    postings = Posting.objects.filter(entry__merchant=charge.merchant, entry__livemode=True).count()
    assert postings > 0

    # Telr's advice about the same transaction arrives after: verified, a duplicate, nothing moves
    advice = telr.advice_fields(telr.PAID_REF, telr.SALE_TRAN, charge.provider_key, test="0")
    resp = Client().post(f"/v1/webhooks/gateway/{telr_connector.public_id}", urlencode(advice),
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert resp.json()["duplicate"] is True
    assert Posting.objects.filter(entry__merchant=charge.merchant).count() == postings
    assert InboundWebhook.objects.filter(connector=telr_connector).count() == 2

    # a partial refund: the order's sale transaction is read, then refunded on the Remote API
    refunded = telr.remote_auth("A", "927615", "Accepted", telr.REFUND_TRAN)
    with responses.RequestsMock() as mock:
        replay(mock, [telr.check_exchange(telr.PAID_REF, paid),
                      telr.remote_exchange("refund", telr.SALE_TRAN, "42.50", refunded, test="0")])  # fmt: skip
        created = live.post("/v1/refunds", {"payment_intent": body["id"], "amount": 4_250}, format="json")
    assert created.status_code == 200, created.content
    assert created.json()["status"] == "succeeded"


def test_an_advice_alone_completes_the_payment_once_the_order_is_read_back(live, telr_connector):
    """The customer closes the browser on Telr's page: the signed advice completes the payment,
    and Telr's order record (not the advice's word) decides."""
    body, _ = _pay(live, telr_connector, telr.PAID_REF)
    charge = Charge.objects.get(public_id=body["latest_charge"])
    advice = telr.advice_fields(telr.PAID_REF, telr.SALE_TRAN, charge.provider_key, test="0")
    with responses.RequestsMock() as mock:
        replay(mock, [telr.check_exchange(telr.PAID_REF, _live_order(telr.PAID_REF, charge.provider_key))])
        resp = Client().post(f"/v1/webhooks/gateway/{telr_connector.public_id}", urlencode(advice),
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert live.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "succeeded"


def test_a_declined_telr_payment_returns_the_customer_with_failed(live, telr_connector):
    body, sent = _pay(live, telr_connector, telr.DECLINED_REF)
    cart = sent["ivp_cart"]
    declined = _live_order(telr.DECLINED_REF, cart, -3, "Declined", status="D", tran_code="41",
                           message="Insufficient funds")  # fmt: skip
    with responses.RequestsMock() as mock:
        replay(
            mock,
            [
                telr.check_exchange(telr.DECLINED_REF, declined),
                telr.check_exchange(telr.DECLINED_REF, declined),
            ],
        )
        back = _return(sent)
    assert parse_qs(urlsplit(back["Location"]).query)["redirect_status"] == ["failed"]
    intent = live.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_a_return_is_never_believed_without_telrs_record(live, telr_connector, merchant):
    """A return naming a cart this connector never sent, or one whose order Telr answers as a test
    order on this live account, changes nothing; an unknown cart reaches no provider at all."""
    body, sent = _pay(live, telr_connector, telr.PAID_REF)
    path = urlsplit(sent["return_auth"]).path
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach Telr
        for cart in ("ch_0000000000000000000000:authorize", "not-ours", ""):
            back = Client().get(path, {"cart": cart} if cart else {})
            assert back.status_code == 400, back.content
            assert back.json()["error"]["code"] in ("webhook_signature_invalid", "webhook_signature_missing")
    test_order = telr.order(telr.PAID_REF, sent["ivp_cart"], test=1)
    with responses.RequestsMock() as mock:
        replay(mock, [telr.check_exchange(telr.PAID_REF, test_order)])
        back = _return(sent)
    assert back.status_code == 400 and back.json()["error"]["code"] == "webhook_signature_invalid"
    assert live.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"


def test_an_advice_with_a_wrong_check_or_secret_is_refused(live, telr_connector):
    body, _ = _pay(live, telr_connector, telr.PAID_REF)
    charge = Charge.objects.get(public_id=body["latest_charge"])
    genuine = telr.advice_fields(telr.PAID_REF, telr.SALE_TRAN, charge.provider_key, test="0")
    forged = [
        {**genuine, "tran_amount": "1.00"},
        telr.advice_fields(
            telr.PAID_REF, telr.SALE_TRAN, charge.provider_key, test="0", secret="another-secret"
        ),
        {k: v for k, v in genuine.items() if k != "tran_check"},
    ]
    for fields in forged:
        resp = Client().post(f"/v1/webhooks/gateway/{telr_connector.public_id}", urlencode(fields),
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
        assert resp.status_code == 400, resp.content
    assert live.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"


def test_the_tran_check_is_sha1_of_the_secret_and_the_documented_fields():
    from apps.connectors.adapters.telr import advice

    fields = telr.advice_fields()
    assert advice.tran_check(fields, telr.ADVICE_SECRET) == fields["tran_check"]
    # a field outside the documented list (tran_order, card_*, bill_*) does not enter it
    assert advice.valid({**fields, "tran_order": "X", "bill_email": "y@z"}, telr.ADVICE_SECRET)
    assert not advice.valid({**fields, "tran_desc": "Order 1002"}, telr.ADVICE_SECRET)


def test_remote_follow_ups_without_the_remote_key_send_nothing():
    from apps.connectors import registry
    from apps.connectors.base import Declined

    creds = {k: v for k, v in telr.Recordings.credentials.items() if k != "remote_key"}
    adapter = registry.adapter_class("telr")(credentials=creds, livemode=True, config={})
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        result = adapter.refund(
            idempotency_key="re_1", gateway_reference=telr.SALE_TRAN, amount=100, currency="AED"
        )
    assert isinstance(result, Declined) and result.decline_code == "telr_remote_key_missing"


def test_the_remote_answer_is_read_as_flat_text_with_no_entity_expansion():
    from apps.connectors.adapters.telr import remote

    answer = remote.parse_auth(telr.remote_auth("A", "927615", "Accepted", telr.REFUND_TRAN).encode())
    assert answer["status"] == "A" and answer["tranref"] == telr.REFUND_TRAN and answer["trace"]
    hostile = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "A">]><remote><auth><status>&a;</status></auth></remote>'
    assert remote.parse_auth(hostile)["status"] != "A"
    assert remote.parse_auth(b"<html><body>Bad gateway</body></html>") == {}


def test_the_health_check_fails_when_telr_refuses_the_store():
    from apps.connectors import registry

    adapter = registry.adapter_class("telr")(
        credentials=dict(telr.Recordings.credentials), livemode=False, config={}
    )
    refused = {"method": "check", "error": {"message": "E04:Invalid store ID", "note": "Store ID not valid"}}
    unknown = {"method": "check", "error": {"message": "E01:Invalid request", "note": "Order not found"}}
    with responses.RequestsMock() as mock:
        replay(mock, [telr.check_exchange("0" * 64, refused), telr.check_exchange("0" * 64, unknown)])
        assert adapter.health().ok is False
        assert adapter.health().ok is True


def test_a_remote_key_with_xml_special_characters_never_reaches_the_call_log():
    from apps.connectors import registry
    from apps.connectors.http import capture_exchanges

    key = "R&m<te>Key#2026"
    creds = {**telr.Recordings.credentials, "remote_key": key}
    adapter = registry.adapter_class("telr")(credentials=creds, livemode=False, config={})
    with responses.RequestsMock() as mock, capture_exchanges() as exchanges:
        mock.add("POST", telr.REMOTE_URL, body=telr.remote_auth("A", "927615", "Accepted", telr.REFUND_TRAN))
        adapter.refund(idempotency_key="re_1", gateway_reference=telr.SALE_TRAN, amount=100, currency="AED")
        assert "R&amp;m&lt;te&gt;Key" in mock.calls[0].request.body.decode()  # it was sent, escaped
    logged = json.dumps(exchanges)
    assert exchanges and "R&amp;m" not in logged and key not in logged


def test_a_manual_capture_telr_payment_is_authorised_on_the_page_then_captured(live, telr_connector):
    """capture_method=manual: the hosted page runs an auth; the read-back return leaves the payment
    requires_capture; the capture goes to the Remote API by the auth's transaction (read from the
    order). Refunding it afterwards is refused (not covered: Telr refunds the capture transaction)."""
    sent = {}

    def create(request):
        sent.update(telr.form_of(request))
        return 200, {"Content-Type": "application/json"}, telr.json_dumps(telr.created(telr.PAID_REF))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", telr.ORDER_URL, callback=create)
        body = live.post(
            "/v1/payment_intents",
            {"amount": 10_500, "currency": "aed", "payment_method_types": ["telr"], "capture_method": "manual",
             "payment_method_data": {"type": "telr"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": telr_connector.public_id}},
            format="json",
        ).json()  # fmt: skip
    assert sent["ivp_trantype"] == "auth" and body["status"] == "requires_action"
    authorised = _live_order(
        telr.PAID_REF, sent["ivp_cart"], 2, "Authorised", tran_ref=telr.AUTH_TRAN, kind="auth"
    )
    with responses.RequestsMock() as mock:
        replay(
            mock,
            [telr.check_exchange(telr.PAID_REF, authorised), telr.check_exchange(telr.PAID_REF, authorised)],
        )
        back = _return(sent)
    assert parse_qs(urlsplit(back["Location"]).query)["redirect_status"] == ["succeeded"]
    intent = live.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_capture" and intent["amount_capturable"] == 10_500

    captured = telr.remote_auth("A", "926914", "Authorised", "017235426182", "4000/26913/577531b6")
    with responses.RequestsMock() as mock:
        replay(mock, [telr.check_exchange(telr.PAID_REF, authorised),
                      telr.remote_exchange("capture", telr.AUTH_TRAN, "105.00", captured, test="0")])  # fmt: skip
        resp = live.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "succeeded" and resp.json()["amount_received"] == 10_500
    # the charge keeps the order ref; a refund of the captured auth is refused, nothing sent
    assert Charge.objects.get(public_id=body["latest_charge"]).gateway_reference == telr.PAID_REF
    with responses.RequestsMock() as mock:
        replay(mock, [telr.check_exchange(telr.PAID_REF, authorised)])
        refund = live.post("/v1/refunds", {"payment_intent": body["id"], "amount": 4_250}, format="json")
    assert refund.status_code == 200, refund.content
    assert refund.json()["status"] == "failed" and "capture transaction" in refund.json()["failure_message"]
