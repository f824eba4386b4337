"""Adyen specifics beyond the conformance suite: Adyen's own published HMAC test vector, amounts
in Adyen's units (three-decimal KWD, zero-decimal IDR), the live endpoint from the account's
prefix, and a 3DS return without Adyen's redirectResult."""

import json

import pytest
import responses

from apps.connectors.adapters.adyen.adapter import AdyenAdapter
from apps.connectors.base import Approved, Declined, InboundWebhookError

from .conformance import API_KEY, CHECKOUT, MERCHANT, Recordings

# The notification item and key of the Adyen Python library's own test
# (test/UtilTest.py::test_notification_request_item_hmac), with the signature it expects.
ADYEN_VECTOR_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
ADYEN_VECTOR_ITEM = {
    "pspReference": "7914073381342284",
    "merchantReference": "TestPayment-1407325143704",
    "merchantAccountCode": "TestMerchant",
    "amount": {"currency": "EUR", "value": 1130},
    "eventCode": "AUTHORISATION",
    "success": "true",
    "eventDate": "2019-05-06T17:15:34.121+02:00",
    "operations": ["CANCEL", "CAPTURE", "REFUND"],
    "paymentMethod": "visa",
    "additionalData": {"hmacSignature": "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="},
}


def _adapter(**kwargs):
    options = {"credentials": Recordings.credentials, "config": Recordings.config, **kwargs}
    return AdyenAdapter(**options)


def _notification(item):
    return json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}).encode()


def test_adyens_published_hmac_vector_verifies_and_maps():
    adapter = _adapter(credentials={"api_key": API_KEY, "hmac_key": ADYEN_VECTOR_KEY})
    event = adapter.parse_inbound_webhook(body=_notification(ADYEN_VECTOR_ITEM), headers={})
    assert (event.type, event.gateway_reference, event.amount, event.currency) == (
        "charge.succeeded", "7914073381342284", 1130, "EUR",
    )  # fmt: skip
    assert event.provider_event_id == "7914073381342284:AUTHORISATION:true" and event.livemode is False
    forged = {**ADYEN_VECTOR_ITEM, "amount": {"currency": "EUR", "value": 11300}}
    with pytest.raises(InboundWebhookError) as caught:
        adapter.parse_inbound_webhook(body=_notification(forged), headers={})
    assert caught.value.code == "signature_invalid"
    unsigned = {k: v for k, v in ADYEN_VECTOR_ITEM.items() if k != "additionalData"}
    with pytest.raises(InboundWebhookError) as caught:
        adapter.parse_inbound_webhook(body=_notification(unsigned), headers={})
    assert caught.value.code == "signature_missing"


@responses.activate
@pytest.mark.parametrize(
    ("currency", "amount", "sent"), [("KWD", 1250, 1250), ("IDR", 150000, 1500), ("EUR", 999, 999)]
)
def test_amounts_cross_in_adyens_units(currency, amount, sent):
    responses.add(responses.POST, f"{CHECKOUT}/payments", json={"pspReference": "V4HZ4RBFJGXXGN99",
                                                                "resultCode": "Authorised"})  # fmt: skip
    result = _adapter().authorize(Recordings().request("units", amount=amount, currency=currency))
    assert isinstance(result, Approved) and result.amount == amount
    assert json.loads(responses.calls[0].request.body)["amount"] == {"value": sent, "currency": currency}


@responses.activate
def test_an_amount_adyens_unit_cannot_carry_is_refused_before_anything_is_sent():
    result = _adapter().authorize(Recordings().request("units", amount=150050, currency="IDR"))
    assert isinstance(result, Declined) and result.code == "invalid_amount"
    assert len(responses.calls) == 0


@responses.activate
def test_live_accounts_use_the_accounts_live_endpoint():
    prefix = "1797a841fbb37ca7-ClearhouseCOM"
    url = f"https://{prefix}-checkout-live.adyenpayments.com/checkout/v72/payments"
    responses.add(responses.POST, url, json={"pspReference": "V4HZ4RBFJGXXGN98", "resultCode": "Authorised"})
    adapter = _adapter(livemode=True, config={"merchant_account": MERCHANT, "live_endpoint_prefix": prefix})
    assert isinstance(adapter.authorize(Recordings().request("live")), Approved)
    assert responses.calls[0].request.url == url.lower()  # hosts are case-insensitive


def test_a_3ds_return_without_redirect_result_is_an_authentication_failure():
    result = _adapter().complete_3ds(
        Recordings().request("3ds"), reference="ch_conf_3ds", payload={"result": "ok"}
    )
    assert isinstance(result, Declined) and result.decline_code == "authentication_failed"
