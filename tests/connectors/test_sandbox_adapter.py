"""The sandbox acquirer on its own (memory store): behaviour by test card."""

from dataclasses import dataclass

import pytest

from apps.connectors.base import (
    Approved,
    Declined,
    InboundWebhookError,
    PaymentRequest,
    Pending,
    RequiresAction,
    RetryableError,
    SafeAdapter,
)
from apps.connectors.sandbox import TEST_CARDS, SandboxAdapter
from apps.connectors.sandbox.store import MemoryStore


@dataclass
class Card:
    number: str
    exp_month: int = 12
    exp_year: int = 2099
    brand: str = "visa"


@pytest.fixture
def adapter():
    return SandboxAdapter(
        store=MemoryStore(), base_url="http://testserver", credentials={"webhook_secret": "whsec_t"}
    )


def req(number, key="k1", **kw):
    kw.setdefault("amount", 1000)
    kw.setdefault("currency", "USD")
    return PaymentRequest(idempotency_key=key, card=Card(number), cvc="123", **kw)


@pytest.mark.parametrize(
    ("number", "decline_code", "network_code", "code"),
    [
        ("4000000000000002", "generic_decline", "05", "card_declined"),
        ("4000000000009995", "insufficient_funds", "51", "card_declined"),
        ("4000000000009987", "lost_card", "41", "card_declined"),
        ("4000000000009979", "stolen_card", "43", "card_declined"),
        ("4000000000000069", "expired_card", "54", "expired_card"),
        ("4000000000000127", "incorrect_cvc", "N7", "incorrect_cvc"),
        ("4000000000000119", "processing_error", "96", "processing_error"),
        ("4100000000000019", "fraudulent", "59", "card_declined"),
    ],
)
def test_decline_cards_answer_their_network_codes(adapter, number, decline_code, network_code, code):
    result = adapter.authorize(req(number))
    assert isinstance(result, Declined)
    assert (result.decline_code, result.network_code, result.code) == (decline_code, network_code, code)
    assert result.gateway_reference.startswith("sbxch_")


def test_incorrect_cvc_card_fails_the_cvc_check(adapter):
    assert adapter.authorize(req("4000000000000127")).cvc_check == "fail"


@pytest.mark.parametrize(
    "number", ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
)
def test_success_cards_approve_with_a_reference_and_checks(adapter, number):
    result = adapter.authorize(req(number))
    assert isinstance(result, Approved)
    assert result.network_code == "00"
    assert len(result.authorization_code) == 6
    assert result.cvc_check == "pass"
    assert result.address_line1_check == "unchecked"


def test_same_idempotency_key_returns_the_first_answer(adapter):
    first = adapter.authorize(req("4242424242424242", key="same"))
    again = adapter.authorize(req("4000000000000002", key="same"))
    assert again == first


def test_3ds_required_card_asks_for_a_challenge_then_approves(adapter):
    request = req("4000002760003184")
    action = adapter.authorize(request)
    assert isinstance(action, RequiresAction)
    assert action.kind == "redirect_to_url" and action.url.startswith("http://testserver/sandbox/acs/")
    assert isinstance(adapter.lookup(operation="authorize", idempotency_key="k1"), Pending)
    done = adapter.complete_3ds(request, reference=action.reference, payload={"result": "authenticated"})
    assert isinstance(done, Approved) and done.three_ds["authenticated"] is True
    # replay of the callback changes nothing
    assert adapter.complete_3ds(request, reference=action.reference, payload={"result": "failed"}) == done


def test_3ds_failure_declines(adapter):
    request = req("4000002760003184")
    action = adapter.authorize(request)
    done = adapter.complete_3ds(request, reference=action.reference, payload={"result": "failed"})
    assert isinstance(done, Declined) and done.code == "payment_intent_authentication_failure"


def test_3ds_on_session_card_passes_off_session(adapter):
    assert isinstance(adapter.authorize(req("4000002500003155", off_session=True)), Approved)
    assert isinstance(adapter.authorize(req("4000002500003155", key="k2")), RequiresAction)
    always = adapter.authorize(req("4000002760003184", key="k3", off_session=True))
    assert isinstance(always, Declined) and always.code == "authentication_required"


def test_wallet_redirect_and_qr(adapter):
    redirect = adapter.authorize(
        PaymentRequest(idempotency_key="w1", amount=500, currency="EUR", payment_method_type="paypal")
    )
    assert redirect.kind == "redirect_to_url" and "/sandbox/wallet/" in redirect.url
    qr = adapter.authorize(
        PaymentRequest(idempotency_key="w2", amount=500, currency="EUR", payment_method_type="wechat_pay")
    )
    assert qr.kind == "display_qr_code" and qr.qr_data
    ok = adapter.confirm_redirect(
        PaymentRequest(idempotency_key="w1", amount=500, currency="EUR", payment_method_type="paypal"),
        reference=redirect.reference,
        payload={"result": "approved"},
    )
    assert isinstance(ok, Approved)


def test_refund_of_5126_is_pending_then_fails(adapter):
    auth = adapter.authorize(req("4000000000005126"))
    refund = adapter.refund(
        idempotency_key="r1", gateway_reference=auth.gateway_reference, amount=500, currency="USD"
    )
    assert isinstance(refund, Pending)
    late = adapter.lookup(operation="refund", idempotency_key="r1", reference=auth.gateway_reference)
    assert isinstance(late, Declined) and late.code == "refund_failed"


def test_capture_and_refund_of_a_normal_card(adapter):
    auth = adapter.authorize(req("4242424242424242", capture=False))
    cap = adapter.capture(
        idempotency_key="c1", gateway_reference=auth.gateway_reference, amount=600, currency="USD"
    )
    assert isinstance(cap, Approved) and cap.amount == 600
    ref = adapter.refund(
        idempotency_key="r1", gateway_reference=auth.gateway_reference, amount=600, currency="USD"
    )
    assert isinstance(ref, Approved)


@pytest.mark.parametrize(
    ("fault", "code", "unknown"),
    [
        ("timeout", "timeout", True),
        ("http_500", "provider_error", False),
        ("http_503", "provider_unavailable", False),
    ],
)
def test_injected_faults(adapter, fault, code, unknown):
    result = adapter.authorize(req("4242424242424242", metadata={"sandbox_fault": fault}))
    assert isinstance(result, RetryableError)
    assert (result.code, result.outcome_unknown) == (code, unknown)
    assert adapter.lookup(operation="authorize", idempotency_key="k1") is None


def test_timeout_after_processing_is_resolved_by_lookup(adapter):
    result = adapter.authorize(
        req("4242424242424242", metadata={"sandbox_fault": "timeout_after_processing"})
    )
    assert isinstance(result, RetryableError) and result.outcome_unknown
    assert isinstance(adapter.lookup(operation="authorize", idempotency_key="k1"), Approved)


def test_inbound_webhook_signature(adapter):
    body, headers = adapter.build_webhook(
        type="refund.failed", gateway_reference="sbxre_x", amount=5, currency="USD"
    )
    event = adapter.parse_inbound_webhook(body=body, headers=headers)
    assert event.type == "refund.failed" and event.gateway_reference == "sbxre_x"
    with pytest.raises(InboundWebhookError):
        adapter.parse_inbound_webhook(body=body + b" ", headers=headers)
    with pytest.raises(InboundWebhookError):
        adapter.parse_inbound_webhook(body=body, headers={})


def test_safe_adapter_turns_exceptions_into_retryable_errors(adapter):
    class Broken(SandboxAdapter):
        def authorize(self, request):
            raise ConnectionResetError("boom")

    safe = SafeAdapter(Broken(store=MemoryStore(), base_url="http://x"))
    result = safe.authorize(req("4242424242424242"))
    assert isinstance(result, RetryableError) and result.outcome_unknown


def test_table_has_the_issue_cards():
    numbers = {c.number for c in TEST_CARDS}
    for n in [
        "4242424242424242",
        "4000000000000002",
        "4000000000009995",
        "4000000000009987",
        "4000000000009979",
        "4000000000000069",
        "4000000000000127",
        "4000000000000119",
        "4000002760003184",
        "4000002500003155",
        "4000000000000259",
        "4000000000005126",
        "4100000000000019",
    ]:
        assert n in numbers


def test_0259_is_disputed_as_fraudulent_after_capture(adapter):
    auth = adapter.authorize(req("4000000000000259", capture=False))
    assert adapter.dispute_notifications(gateway_reference=auth.gateway_reference) == []
    adapter.capture(
        idempotency_key="c1", gateway_reference=auth.gateway_reference, amount=1000, currency="USD"
    )
    [(body, headers)] = adapter.dispute_notifications(gateway_reference=auth.gateway_reference)
    event = adapter.parse_inbound_webhook(body=body, headers=headers)
    assert event.type == "charge.dispute.created" and event.data["reason"] == "fraudulent"
    assert event.gateway_reference == auth.gateway_reference and event.amount == 1000
    sale = adapter.authorize(req("4000000000000259", key="k2"))
    assert len(adapter.dispute_notifications(gateway_reference=sale.gateway_reference)) == 1
    assert (
        len(
            adapter.dispute_notifications(
                gateway_reference=adapter.authorize(req("4242424242424242", key="k3")).gateway_reference
            )
        )
        == 0
    )


def test_settlement_report_lists_captures_refunds_and_disputes(adapter):
    import datetime as dt

    sale = adapter.authorize(req("4000000000000259"))
    adapter.refund(idempotency_key="r1", gateway_reference=sale.gateway_reference, amount=300, currency="USD")
    lines = adapter.fetch_settlement_report(date=dt.datetime.now(dt.UTC).date())
    assert sorted((line.type, line.amount) for line in lines) == [
        ("capture", 1000),
        ("dispute", -1000),
        ("refund", -300),
    ]
    assert all(line.fee >= 0 for line in lines)
