"""What the conformance suite does not cover per provider: amount scales at the boundary,
signature schemes against independently computed values, credential checks, lookups of
follow-up operations that must never answer "never received", and redaction of the exchanges."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
import responses

from apps.connectors.adapters.amazon_ps import signature as aps_signature
from apps.connectors.adapters.amazon_ps.adapter import AmazonPaymentServicesAdapter
from apps.connectors.adapters.checkout.adapter import CheckoutAdapter
from apps.connectors.adapters.checkout.amounts import from_checkout, to_checkout
from apps.connectors.adapters.helcim.adapter import HelcimAdapter, dumps, helcim_key
from apps.connectors.adapters.square.adapter import SquareAdapter
from apps.connectors.base import Declined, RetryableError
from apps.connectors.http import capture_exchanges
from apps.connectors.money import AmountPrecisionError
from tests.connectors.adapters.amazon_ps.conformance import Recordings as APSRecordings
from tests.connectors.adapters.checkout.conformance import Recordings as CheckoutRecordings
from tests.connectors.conformance.recordings import ConformanceCard


def test_checkout_amount_scale_follows_its_own_table():
    assert to_checkout(1050, "EUR") == 1050
    assert to_checkout(500, "JPY") == 500
    assert to_checkout(10500, "KWD") == 10500  # 10.500 KWD: times 1000, last digit 0
    with pytest.raises(AmountPrecisionError):
        to_checkout(10501, "KWD")  # Checkout.com refuses a last digit other than 0
    with pytest.raises(AmountPrecisionError):
        to_checkout(10**10, "EUR")  # at most nine digits
    assert from_checkout(10500, "BHD") == 10500


def test_checkout_credentials_must_match_the_mode():
    CheckoutAdapter.validate_credentials(
        {"secret_key": "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e", "processing_channel_id": "pc_x"}, livemode=False
    )
    with pytest.raises(ValueError):
        CheckoutAdapter.validate_credentials(
            {"secret_key": "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e"}, livemode=True
        )
    with pytest.raises(ValueError):
        CheckoutAdapter.validate_credentials({"secret_key": "sk_test_nope"}, livemode=False)


def test_checkout_live_mode_talks_to_the_live_host_with_the_account_subdomain():
    rec = CheckoutRecordings()
    adapter = CheckoutAdapter(
        credentials={**rec.credentials, "secret_key": "sk_m73dzbpy7cf3gfd46xr4yj5xo4e"},
        livemode=True, config=dict(rec.config),
    )  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add("GET", "https://a1b2c3d4.api.checkout.com/payments", json={"data": [], "total_count": 0})
        assert adapter.lookup(operation="authorize", idempotency_key="ch_live:authorize") is None


def test_helcim_writes_decimal_amounts_exactly_and_keys_stably():
    assert dumps({"amount": Decimal("10.10"), "n": [Decimal("0.005")]}) == '{"amount": 10.10, "n": [0.005]}'
    key = helcim_key("ch_01ABC:authorize")
    assert key == helcim_key("ch_01ABC:authorize") != helcim_key("ch_01ABC:capture")
    assert 25 <= len(key) <= 36


@pytest.mark.parametrize("adapter_cls", [HelcimAdapter, AmazonPaymentServicesAdapter])
def test_lookup_of_a_follow_up_never_answers_never_received(adapter_cls):
    creds = {"api_token": "x" * 40} if adapter_cls is HelcimAdapter else dict(APSRecordings.credentials)
    adapter = adapter_cls(credentials=creds, livemode=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add("GET", "https://api.helcim.com/v2/card-transactions", json=[])
        mock.add("POST", "https://sbpaymentservices.payfort.com/FortAPI/paymentApi", json=_aps_not_found())
        for operation, key in (("capture", "ch_01ABC:capture"), ("refund", "re_01ABC:refund")):
            result = adapter.lookup(operation=operation, idempotency_key=key, reference="ref_of_the_payment")
            assert isinstance(result, RetryableError) and result.outcome_unknown, (key, result)


def _aps_not_found():
    body = {"query_command": "CHECK_STATUS", "response_code": "12036", "response_message": "Order not found",
            "status": "12", "merchant_reference": "ch_01ABC-capture"}  # fmt: skip
    body["signature"] = aps_signature.sign(body, APSRecordings.credentials["sha_response_phrase"])
    return body


def test_aps_signature_is_the_documented_digest():
    # Computed by hand: phrase + "k1=v1" + "k2=v2" (sorted, signature excluded) + phrase, SHA-256.
    params = {"b": "2", "a": "1", "signature": "ignored"}
    expected = hashlib.sha256(b"PHRASEa=1b=2PHRASE").hexdigest()
    assert aps_signature.sign(params, "PHRASE") == expected
    assert aps_signature.valid({**params, "signature": expected}, "PHRASE")
    assert not aps_signature.valid({**params, "signature": expected}, "OTHER")


def test_aps_answer_with_a_bad_signature_is_not_believed():
    rec = APSRecordings()
    adapter = AmazonPaymentServicesAdapter(
        credentials=dict(rec.credentials), livemode=False, config=dict(rec.config)
    )
    forged = rec.approve().exchanges[0].json | {"signature": "0" * 64}
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://sbpaymentservices.payfort.com/FortAPI/paymentApi", json=forged)
        result = adapter.authorize(rec.request("approve"))
    assert result.outcome == "pending"  # unknown: lookup (CHECK_STATUS) settles it, never "approved"


def test_square_refuses_card_numbers_without_calling():
    adapter = SquareAdapter(credentials={"access_token": "EAAA" + "x" * 60}, livemode=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        result = adapter.authorize(CheckoutRecordings().request("x", metadata={}))
    assert isinstance(result, Declined) and result.code == "operation_not_supported"


def test_exchanges_logged_without_card_number_or_secrets():
    rec = CheckoutRecordings()
    adapter = CheckoutAdapter(credentials=dict(rec.credentials), livemode=False, config=dict(rec.config))
    scenario = rec.approve()
    scenario.exchanges[0].check = None
    with responses.RequestsMock() as mock, capture_exchanges() as log:
        from tests.connectors.conformance.recordings import replay

        replay(mock, scenario.exchanges)
        adapter.authorize(rec.request("approve", three_ds="never"))
    text = json.dumps(log)
    assert log and "4111111111111111" not in text
    for secret in rec.credentials.values():
        assert secret not in text


def test_verifone_refuses_card_numbers_and_picks_the_region_host():
    from apps.connectors.adapters.verifone.adapter import VerifoneAdapter
    from tests.connectors.adapters.verifone.conformance import Recordings as VerifoneRecordings

    rec = VerifoneRecordings()
    adapter = VerifoneAdapter(credentials=dict(rec.credentials), livemode=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        result = adapter.authorize(rec.request("x", card=ConformanceCard()))
    assert isinstance(result, Declined) and result.code == "operation_not_supported"
    assert VerifoneAdapter(credentials={}, livemode=True, config={"region": "us"}).base_url() == (
        "https://us.gsc.verifone.cloud/oidc/"
    )
    with pytest.raises(ValueError):
        VerifoneAdapter.validate_credentials({"payment_provider_contract": "not-a-uuid"}, livemode=False)


def test_checkout_finds_a_capture_among_its_payments_actions():
    """A capture's key finds the payment by the charge's authorize key, then the capture action by
    its reference (Checkout.com's "Get payment actions" list)."""
    rec = CheckoutRecordings()
    adapter = CheckoutAdapter(credentials=dict(rec.credentials), livemode=False, config=dict(rec.config))
    host = "https://a1b2c3d4.api.sandbox.checkout.com"
    payment = rec.approve().exchanges[0].json | {"reference": "ch_01ABC:authorize"}
    actions = [
        {"id": "act_pnrlygtcbhauzgagmrf5gg36ni", "type": "Capture", "processed_on": "2026-12-01T10:20:40Z",
         "amount": 600, "approved": True, "response_code": "10000", "response_summary": "Approved",
         "reference": "ch_01ABC:capture"},
        {"id": "act_y3oqhf46pyzuxjbcn2giaqnb44", "type": "Authorization", "processed_on": "2026-12-01T10:11:12Z",
         "amount": 1000, "approved": True, "auth_code": "643381", "response_code": "10000",
         "response_summary": "Approved", "reference": "ch_01ABC:authorize"},
    ]  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add(
            "GET", f"{host}/payments", json={"limit": 10, "skip": 0, "total_count": 1, "data": [payment]}
        )
        mock.add("GET", f"{host}/payments/{payment['id']}/actions", json=actions)
        found = adapter.lookup(operation="capture", idempotency_key="ch_01ABC:capture")
    assert found.outcome == "approved" and found.gateway_reference == "act_pnrlygtcbhauzgagmrf5gg36ni"
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        refund = adapter.lookup(operation="refund", idempotency_key="re_01ABC:refund")
    assert isinstance(refund, RetryableError) and refund.outcome_unknown


LIVE_HOSTS = {
    "checkout": ("https://a1b2c3d4.api.sandbox.checkout.com", "https://a1b2c3d4.api.checkout.com"),
    "square": ("https://connect.squareupsandbox.com", "https://connect.squareup.com"),
    "helcim": ("https://api.helcim.com", "https://api.helcim.com"),  # one host: the account decides
    "amazon_ps": ("https://sbpaymentservices.payfort.com", "https://paymentservices.payfort.com"),
    "verifone": ("https://cst.test-gsc.vfims.com", "https://emea.gsc.verifone.cloud"),
}
LIVE_CREDENTIALS = {"checkout": {"secret_key": "sk_m73dzbpy7cf3gfd46xr4yj5xo4e"}}


@pytest.mark.parametrize("code", sorted(LIVE_HOSTS))
def test_live_mode_takes_a_payment_at_the_live_endpoint(code):
    """The approve recording replayed against the provider's live host with a live-mode account:
    the same code path, only the endpoint (and for Checkout.com the key kind) differs."""
    import importlib

    from apps.connectors import registry
    from tests.connectors.conformance.recordings import replay

    rec = importlib.import_module(f"tests.connectors.adapters.{code}.conformance").Recordings()
    cls = registry.adapter_class(code)
    credentials = {**rec.credentials, **LIVE_CREDENTIALS.get(code, {})}
    cls.validate_credentials(credentials, livemode=True)
    adapter = cls(credentials=credentials, livemode=True, config=dict(rec.config))
    scenario = rec.approve()
    test_host, live_host = LIVE_HOSTS[code]
    for exchange in scenario.exchanges:
        assert isinstance(exchange.url, str) and exchange.url.startswith(test_host)
        exchange.url = live_host + exchange.url[len(test_host) :]
        exchange.check = None  # the request's body is the test one's; the endpoint is what is checked
    with responses.RequestsMock() as mock:
        replay(mock, scenario.exchanges)
        result = adapter.authorize(rec.request("approve", **scenario.inputs.get("request", {})))
    assert result.outcome == "approved", result
    assert result.gateway_reference == scenario.expect["gateway_reference"]
