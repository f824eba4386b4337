"""Wallet payments of Iraq's providers completing through their own callbacks, end to end through
the confirm path: a ZainCash payment goes to ZainCash's hosted page and completes when ZainCash
sends the customer back with its signed token (recorded answers, replayed at the HTTP layer)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client

from apps.connectors.services import connector_create
from apps.intents.models import Charge, PaymentIntent
from apps.ledger.models import Posting
from apps.merchants.models import MerchantSettings
from apps.webhooks.models import InboundWebhook
from tests.connectors.adapters.zaincash import conformance as zc
from tests.intents.helpers import ACTOR

RETURN_URL = "https://shop.example/checkout/done"


@pytest.fixture
def zaincash(merchant):
    settings = MerchantSettings.objects.get(merchant=merchant)
    settings.allowed_payment_method_types = [*settings.allowed_payment_method_types, "zaincash"]
    settings.save()
    return connector_create(
        merchant=merchant, livemode=False, type="zaincash", label="ZainCash", actor=ACTOR,
        credentials=dict(zc.Recordings.credentials),
    )  # fmt: skip


def _pay(api, connector, transaction_id: str):
    """Confirms a 10,000 IQD ZainCash payment; ZainCash's init answer is the recorded one."""
    seen = {}

    def init(request):
        form = zc.form_of(request)
        claims = zc.tokens.verify(form["token"], zc.SECRET)
        seen.update(claims)
        body = zc.transaction(transaction_id, claims["orderId"], amount=claims["amount"])
        return 200, {"Content-Type": "application/json"}, zc.json.dumps(body)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{zc.BASE}/transaction/init", callback=init)
        resp = api.post(
            "/v1/payment_intents",
            {"amount": 10_000_000, "currency": "iqd", "payment_method_types": ["zaincash"],
             "payment_method_data": {"type": "zaincash"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": connector.public_id}},
            format="json",
        )  # fmt: skip
    assert resp.status_code == 200, resp.content
    return resp.json(), seen


def test_a_zaincash_payment_completes_through_its_signed_redirect(api, zaincash):
    body, sent = _pay(api, zaincash, zc.APPROVED_ID)
    assert body["status"] == "requires_action"
    assert body["next_action"]["redirect_to_url"]["url"] == f"{zc.BASE}/transaction/pay?id={zc.APPROVED_ID}"
    charge = Charge.objects.get(public_id=body["latest_charge"])
    # ZainCash got whole dinars, our charge as its order id, and sends the customer back to
    # Clearhouse's return endpoint for this connector
    assert sent["amount"] == 10000 and sent["orderId"] == charge.public_id
    assert sent["redirectUrl"].endswith(f"/v1/webhooks/gateway/{zaincash.public_id}/return")

    token = zc.redirect_token(zc.APPROVED_ID, sent["orderId"], "success")
    browser = Client()
    back = browser.get(urlsplit(sent["redirectUrl"]).path, {"token": token})
    assert back.status_code == 302, back.content
    target = urlsplit(back["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == RETURN_URL
    query = parse_qs(target.query)
    assert query["redirect_status"] == ["succeeded"] and query["payment_intent"] == [body["id"]]

    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 10_000_000
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.gateway_reference == zc.APPROVED_ID
    postings = Posting.objects.filter(entry__merchant=charge.merchant).count()
    assert postings > 0

    # the browser reloads the page: a duplicate, nothing moves twice
    again = browser.get(urlsplit(sent["redirectUrl"]).path, {"token": token})
    assert again.status_code == 302
    assert Posting.objects.filter(entry__merchant=charge.merchant).count() == postings
    rows = InboundWebhook.objects.filter(connector=zaincash).order_by("id")
    assert [r.status for r in rows][-1] == "duplicate"


def test_a_failed_zaincash_payment_returns_the_customer_with_failed(api, zaincash):
    body, sent = _pay(api, zaincash, zc.DECLINED_ID)
    token = zc.redirect_token(zc.DECLINED_ID, sent["orderId"], "failed", "Insufficient balance")
    back = Client().get(urlsplit(sent["redirectUrl"]).path, {"token": token})
    assert parse_qs(urlsplit(back["Location"]).query)["redirect_status"] == ["failed"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_a_forged_return_is_refused_and_changes_nothing(api, zaincash):
    body, sent = _pay(api, zaincash, zc.APPROVED_ID)
    genuine = f"token={zc.redirect_token(zc.APPROVED_ID, sent['orderId'], 'success')}".encode()
    forged, _ = zc.Recordings().tamper(genuine, {})
    signed_elsewhere = zc.tokens.sign(
        {"status": "success", "id": zc.APPROVED_ID}, "not-the-merchant-secret-but-long-enough-for-hs256"
    )
    browser = Client()
    path = urlsplit(sent["redirectUrl"]).path
    for query in (forged.decode(), f"token={signed_elsewhere}", ""):
        back = browser.get(f"{path}?{query}")
        assert back.status_code == 400, back.content
        assert back.json()["error"]["code"] in ("webhook_signature_invalid", "webhook_signature_missing")
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"


# --- FIB: a QR payment completed by FIB's status callback ------------------------------------

from tests.connectors.adapters.fib import conformance as fib  # noqa: E402
from tests.connectors.conformance.recordings import replay  # noqa: E402


@pytest.fixture
def fib_connector(merchant):
    settings = MerchantSettings.objects.get(merchant=merchant)
    settings.allowed_payment_method_types = [*settings.allowed_payment_method_types, "fib"]
    settings.save()
    return connector_create(
        merchant=merchant, livemode=False, type="fib", label="FIB", actor=ACTOR,
        credentials=dict(fib.Recordings.credentials),
    )  # fmt: skip


def _pay_fib(api, connector):
    with responses.RequestsMock() as mock:
        replay(mock, [fib.token_exchange(), fib.create_exchange(fib.PAID_ID)])
        resp = api.post(
            "/v1/payment_intents",
            {"amount": 10_000_000, "currency": "iqd", "payment_method_types": ["fib"],
             "payment_method_data": {"type": "fib"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": connector.public_id}},
            format="json",
        )  # fmt: skip
        sent = zc.json.loads(mock.calls[1].request.body)
    assert resp.status_code == 200, resp.content
    return resp.json(), sent


def test_a_fib_qr_payment_completes_through_fibs_status_callback(api, fib_connector):
    body, sent = _pay_fib(api, fib_connector)
    assert body["status"] == "requires_action"
    qr = body["next_action"]["display_qr_code"]
    assert body["next_action"]["type"] == "display_qr_code"
    assert qr["data"] == f"https://personal.fib.iq/pay?paymentId={fib.PAID_ID}"
    # FIB calls back the connector's own gateway endpoint
    assert sent["statusCallbackUrl"].endswith(f"/v1/webhooks/gateway/{fib_connector.public_id}")

    callback = zc.json.dumps({"id": fib.PAID_ID, "status": "PAID"})
    path = urlsplit(sent["statusCallbackUrl"]).path
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # the callback is read back (verify), then confirmed once more on completion
        replay(mock, [fib.token_exchange(), fib.status_exchange(fib.PAID_ID, "PAID")])
        got = Client().post(path, callback, content_type="application/json")
    assert got.status_code == 200, got.content
    assert got.json()["status"] == "processed"
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 10_000_000
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    assert charge.gateway_reference == fib.PAID_ID and charge.payment_method_type == "fib"

    # FIB repeats its callback: a duplicate, nothing moves twice
    postings = Posting.objects.filter(entry__merchant=charge.merchant).count()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay(mock, [fib.token_exchange(), fib.status_exchange(fib.PAID_ID, "PAID")])
        again = Client().post(path, callback, content_type="application/json")
    assert again.json()["duplicate"] is True
    assert Posting.objects.filter(entry__merchant=charge.merchant).count() == postings


def test_a_forged_fib_callback_changes_nothing(api, fib_connector):
    body, sent = _pay_fib(api, fib_connector)
    path = urlsplit(sent["statusCallbackUrl"]).path
    # someone claims the payment is PAID while FIB says it is still UNPAID: FIB's word stands
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay(mock, [fib.token_exchange(), fib.status_exchange(fib.PAID_ID, "UNPAID")])
        got = Client().post(
            path, zc.json.dumps({"id": fib.PAID_ID, "status": "PAID"}), content_type="application/json"
        )
    assert got.status_code == 200
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"
    # a payment FIB never made is refused as a forged callback
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay(mock, [fib.token_exchange(), fib.status_exchange("00000000-0000-4000-8000-000000000000", "",
                                                                 http_status=404)])  # fmt: skip
        forged = Client().post(path, zc.json.dumps({"id": "00000000-0000-4000-8000-000000000000", "status": "PAID"}),
                               content_type="application/json")  # fmt: skip
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "webhook_signature_invalid"


def test_a_zaincash_init_timeout_fails_the_attempt_instead_of_leaving_it_unknown(api, zaincash):
    """ZainCash cannot look a transaction up by our reference; but a transaction nobody was sent to
    pay cannot take money, so a timeout on init is a known non-outcome, not a stuck payment."""
    import requests

    with responses.RequestsMock() as mock:
        mock.add("POST", f"{zc.BASE}/transaction/init", body=requests.exceptions.ReadTimeout())
        resp = api.post(
            "/v1/payment_intents",
            {"amount": 10_000_000, "currency": "iqd", "payment_method_types": ["zaincash"],
             "payment_method_data": {"type": "zaincash"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": zaincash.public_id}},
            format="json",
        )  # fmt: skip
    intent = PaymentIntent.objects.get(public_id=(resp.json().get("error", {}).get("payment_intent") or {}).get("id")
                                       or resp.json().get("id"))  # fmt: skip
    assert intent.status != "processing", (resp.status_code, resp.json())
    charge = Charge.objects.get(pk=intent.latest_charge_id)
    assert charge.status == "failed"
