"""A PayTabs payment end to end through the confirm path: the customer goes to PayTabs' hosted
page and comes back with PayTabs' signed form POST to the connector's gateway return endpoint;
the outcome is read back with payment/query before the charge moves (recorded answers, replayed
at the HTTP layer), and PayTabs' IPN about the same outcome is a duplicate."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from django.test import Client

from apps.connectors.adapters.paytabs import signatures
from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.ledger.models import Posting
from apps.merchants.models import MerchantSettings
from apps.webhooks.models import InboundWebhook
from tests.connectors.adapters.paytabs import conformance as pt
from tests.connectors.conformance.recordings import replay
from tests.intents.helpers import ACTOR

RETURN_URL = "https://shop.example/checkout/done"


@pytest.fixture
def paytabs(merchant):
    settings = MerchantSettings.objects.get(merchant=merchant)
    settings.allowed_payment_method_types = [*settings.allowed_payment_method_types, "paytabs"]
    settings.save()
    return connector_create(
        merchant=merchant, livemode=False, type="paytabs", label="PayTabs", actor=ACTOR,
        credentials=dict(pt.Recordings.credentials), config={"region": "KWT"},
    )  # fmt: skip


def _pay(api, connector, tran_ref: str):
    sent = {}

    def page(request):
        body = pt.json_of(request)
        sent.update(body)
        return 200, {"Content-Type": "application/json"}, json.dumps(pt.page(tran_ref, body["cart_id"]))

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{pt.BASE}/payment/request", callback=page)
        resp = api.post(
            "/v1/payment_intents",
            {"amount": 10_500, "currency": "kwd", "payment_method_types": ["paytabs"],
             "payment_method_data": {"type": "paytabs"}, "confirm": True, "return_url": RETURN_URL,
             "routing": {"connector": connector.public_id}},
            format="json",
        )  # fmt: skip
    assert resp.status_code == 200, resp.content
    return resp.json(), sent


def _post_return(path: str, fields: dict):
    return Client().post(path, urlencode(fields), content_type="application/x-www-form-urlencoded")


def test_a_paytabs_payment_completes_through_its_signed_return(api, paytabs):
    body, sent = _pay(api, paytabs, pt.PAID_REF)
    assert body["status"] == "requires_action"
    assert body["next_action"]["redirect_to_url"]["url"].startswith(f"{pt.BASE}/payment/page/")
    charge = Charge.objects.get(public_id=body["latest_charge"])
    # our key as the cart id, KWD's three decimals, the IPN and the return both to Clearhouse
    assert sent["cart_id"] == charge.provider_key and sent["cart_currency"] == "KWD"
    assert sent["tran_type"] == "sale"
    assert sent["callback"].endswith(f"/v1/webhooks/gateway/{paytabs.public_id}")
    return_path = urlsplit(sent["return"]).path
    assert return_path.endswith(f"/v1/webhooks/gateway/{paytabs.public_id}/return")

    form = pt.return_form(pt.PAID_REF, sent["cart_id"])
    with responses.RequestsMock() as mock:
        replay(mock, [pt.query_exchange(pt.PAID_REF, pt.transaction(pt.PAID_REF, sent["cart_id"]))])
        back = _post_return(return_path, form)
    assert back.status_code == 302, back.content
    target = urlsplit(back["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == RETURN_URL
    assert parse_qs(target.query)["redirect_status"] == ["succeeded"]

    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "succeeded" and intent["amount_received"] == 10_500
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.gateway_reference == pt.PAID_REF
    postings = Posting.objects.filter(entry__merchant=charge.merchant).count()
    assert postings > 0

    # PayTabs' IPN about the same outcome arrives after: a duplicate, nothing moves twice
    ipn = json.dumps(pt.transaction(pt.PAID_REF, sent["cart_id"])).encode()
    resp = Client().post(
        f"/v1/webhooks/gateway/{paytabs.public_id}", ipn, content_type="application/json",
        HTTP_SIGNATURE=signatures.sign_body(ipn, pt.SERVER_KEY),
    )  # fmt: skip
    assert resp.status_code == 200, resp.content
    assert resp.json()["duplicate"] is True
    assert Posting.objects.filter(entry__merchant=charge.merchant).count() == postings
    assert InboundWebhook.objects.filter(connector=paytabs).count() == 2


def test_a_declined_paytabs_payment_returns_the_customer_with_failed(api, paytabs):
    body, sent = _pay(api, paytabs, pt.DECLINED_REF)
    form = pt.return_form(pt.DECLINED_REF, sent["cart_id"], "D", "51", "Insufficient funds")
    declined = pt.transaction(pt.DECLINED_REF, sent["cart_id"], "D", "51", "Insufficient funds")
    with responses.RequestsMock() as mock:
        replay(mock, [pt.query_exchange(pt.DECLINED_REF, declined)])
        back = _post_return(urlsplit(sent["return"]).path, form)
    assert parse_qs(urlsplit(back["Location"]).query)["redirect_status"] == ["failed"]
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_a_return_claiming_success_is_not_believed_over_paytabs_record(api, paytabs):
    """A genuine-looking return says A, PayTabs' own record says D: the record wins."""
    body, sent = _pay(api, paytabs, pt.DECLINED_REF)
    form = pt.return_form(pt.DECLINED_REF, sent["cart_id"])  # signed "A"
    declined = pt.transaction(pt.DECLINED_REF, sent["cart_id"], "D", "504", "Declined")
    with responses.RequestsMock() as mock:
        replay(mock, [pt.query_exchange(pt.DECLINED_REF, declined)])
        _post_return(urlsplit(sent["return"]).path, form)
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["status"] == "requires_payment_method" and intent["amount_received"] == 0


def test_a_forged_paytabs_return_is_refused_and_changes_nothing(api, paytabs):
    body, sent = _pay(api, paytabs, pt.PAID_REF)
    path = urlsplit(sent["return"]).path
    genuine = pt.return_form(pt.PAID_REF, sent["cart_id"])
    altered = {**genuine, "respStatus": "A", "respMessage": "Authorised!"}
    elsewhere = {**genuine, "signature": signatures.sign_return(genuine, "ANOTHER-PROFILES-SERVER-KEY")}
    unsigned = {k: v for k, v in genuine.items() if k != "signature"}
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # nothing may reach PayTabs
        for fields in (altered, elsewhere, unsigned):
            back = _post_return(path, fields)
            assert back.status_code == 400, back.content
            assert back.json()["error"]["code"] in ("webhook_signature_invalid", "webhook_signature_missing")
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_action"


def test_the_return_signature_follows_php_http_build_query():
    """PayTabs signs what PHP's http_build_query makes of the sorted, non-empty fields: spaces as
    "+", "~" and "@" percent-encoded, "" and "0" left out (array_filter)."""
    fields = {"tranRef": "TST1", "respMessage": "Do not honour~", "customerEmail": "a@b.c",
              "acquirerRRN": "", "respCode": "0", "signature": "x"}  # fmt: skip
    assert signatures.return_query(fields) == (
        "customerEmail=a%40b.c&respMessage=Do+not+honour%7E&tranRef=TST1"
    )


def _adapter(livemode=False):
    from apps.connectors import registry

    rec = pt.Recordings()
    return registry.adapter_class("paytabs")(
        credentials=dict(rec.credentials), livemode=livemode, config=dict(rec.config)
    )


def test_a_paytabs_auth_is_captured_by_a_follow_up_on_its_tran_ref():
    captured = pt.transaction("TST2433201917359", "ch_1:capture", "A", "C22017", "Authorised",
                              tran_type="Capture", amount="6.000", previous=pt.AUTH_REF)  # fmt: skip
    exchange = pt.follow_up_exchange("capture", pt.AUTH_REF, "ch_1:capture", captured, amount="6.000")
    with responses.RequestsMock() as mock:
        replay(mock, [exchange])
        result = _adapter().capture(
            idempotency_key="ch_1:capture", gateway_reference=pt.AUTH_REF, amount=6_000, currency="kwd"
        )
    assert result.gateway_reference == "TST2433201917359" and result.amount == 6_000


def test_a_test_transaction_is_not_believed_on_a_live_account():
    from apps.connectors.base import Declined

    result = _adapter(livemode=True)._result(
        pt.transaction(pt.PAID_REF, "c"), pt.PAID_REF, amount=10_500, currency="KWD"
    )
    assert isinstance(result, Declined) and "test transaction" in result.message


def test_a_lookup_error_is_never_taken_for_never_received():
    from apps.connectors.base import RetryableError

    refused = {
        "code": 1,
        "message": "Authentication failed. Check authentication header.",
        "trace": "PMNT0402",
    }
    with responses.RequestsMock() as mock:
        replay(mock, [pt.Exchange("POST", f"{pt.BASE}/payment/query", status=401, json=refused)])
        result = _adapter().lookup(operation="authorize", idempotency_key="ch_unknown")
    assert isinstance(result, RetryableError) and result.outcome_unknown
