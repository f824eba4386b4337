"""Bad input: a clear error naming the param, and nothing changed."""

import pytest

from apps.audit.models import AuditEntry
from apps.connectors.models import SandboxTransaction
from apps.intents.models import Charge, PaymentIntent
from apps.refunds.models import Refund
from apps.webhooks.models import Event
from tests.intents.helpers import create_intent, make_card, pay


def _snapshot():
    return (
        PaymentIntent.objects.count(),
        Charge.objects.count(),
        Refund.objects.count(),
        Event.objects.count(),
        SandboxTransaction.objects.count(),
        list(
            PaymentIntent.objects.order_by("id").values_list("status", "amount_received", "amount_capturable")
        ),
    )


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "amount_too_small"),
        (-100, "parameter_invalid"),
        (10**12, "amount_too_large"),
        (12.5, "parameter_invalid_integer"),
        ("abc", "parameter_invalid_integer"),
        (True, "parameter_invalid_integer"),
    ],
)
def test_bad_amounts(api, card, amount, code):
    pm = card()
    before = _snapshot()
    resp = create_intent(api, amount=amount, payment_method=pm.public_id, confirm=True)
    assert resp.status_code == 400, resp.json()
    assert resp.json()["error"]["param"] == "amount"
    assert resp.json()["error"]["code"].startswith(("amount_", "parameter_")), resp.json()
    assert _snapshot() == before


def test_amount_above_the_merchant_maximum(api, card, merchant):
    merchant.settings.max_authorization_amount = 50_000
    merchant.settings.save()
    before = _snapshot()
    resp = pay(api, card(), amount=50_001)
    assert resp.status_code == 400
    assert (resp.json()["error"]["code"], resp.json()["error"]["param"]) == ("amount_too_large", "amount")
    assert _snapshot() == before


def test_below_the_currency_minimum(api, card):
    resp = pay(api, card(), amount=10)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "amount"


@pytest.mark.parametrize("currency", ["XYZ", "us", 840, ""])
def test_unknown_currency(api, card, currency):
    before = _snapshot()
    resp = pay(api, card(), currency=currency)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "currency"
    assert _snapshot() == before


def test_unknown_parameter(api):
    resp = create_intent(api, amont=100)
    assert resp.json()["error"]["code"] == "parameter_unknown"
    assert resp.json()["error"]["param"] == "amont"


def test_confirm_without_payment_method(api):
    body = create_intent(api).json()
    before = _snapshot()
    resp = api.post(f"/v1/payment_intents/{body['id']}/confirm", {}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "payment_method"
    assert _snapshot() == before
    resp = create_intent(api, confirm=True)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "payment_method"
    assert _snapshot() == before


def test_foreign_merchants_payment_method(api, other_merchant):
    foreign = make_card(other_merchant)
    before = _snapshot()
    resp = create_intent(api, payment_method=foreign.public_id, confirm=True)
    assert resp.status_code == 400
    assert (resp.json()["error"]["code"], resp.json()["error"]["param"]) == (
        "resource_missing",
        "payment_method",
    )
    body = create_intent(api).json()
    before = _snapshot()
    resp = api.post(
        f"/v1/payment_intents/{body['id']}/confirm", {"payment_method": foreign.public_id}, format="json"
    )
    assert resp.json()["error"]["param"] == "payment_method"
    assert _snapshot() == before


def test_live_mode_payment_method_is_invisible_in_test_mode(api, merchant):
    live_pm = make_card(merchant, livemode=True)
    resp = create_intent(api, payment_method=live_pm.public_id, confirm=True)
    assert resp.json()["error"]["code"] == "resource_missing"


def test_capture_above_the_authorized_amount(api, card):
    body = pay(api, card(), capture_method="manual", amount=1000).json()
    before = _snapshot()
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {"amount_to_capture": 1001}, format="json")
    assert resp.status_code == 400
    assert (resp.json()["error"]["code"], resp.json()["error"]["param"]) == (
        "amount_too_large",
        "amount_to_capture",
    )
    zero = api.post(f"/v1/payment_intents/{body['id']}/capture", {"amount_to_capture": 0}, format="json")
    assert zero.json()["error"]["param"] == "amount_to_capture"
    assert _snapshot() == before
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_capture"


def test_refund_of_an_uncaptured_intent(api, card):
    body = pay(api, card(), capture_method="manual").json()
    before = _snapshot()
    resp = api.post("/v1/refunds", {"payment_intent": body["id"]}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert "requires_capture" in resp.json()["error"]["message"]
    resp = api.post("/v1/refunds", {"charge": body["latest_charge"]}, format="json")
    assert resp.status_code == 400
    assert _snapshot() == before


def test_refund_bad_input(api, api_other, card):
    body = pay(api, card()).json()
    before = _snapshot()
    for payload, param in [
        ({}, "payment_intent"),
        ({"payment_intent": body["id"], "amount": 0}, "amount"),
        ({"payment_intent": body["id"], "amount": -5}, "amount"),
        ({"payment_intent": body["id"], "amount": 2001}, "amount"),
        ({"payment_intent": body["id"], "reason": "because"}, "reason"),
        ({"payment_intent": "pi_nope"}, "payment_intent"),
    ]:
        resp = api.post("/v1/refunds", payload, format="json")
        assert resp.status_code == 400, (payload, resp.json())
        assert resp.json()["error"]["param"] == param, (payload, resp.json())
    assert api_other.post("/v1/refunds", {"payment_intent": body["id"]}, format="json").status_code == 400
    assert _snapshot() == before


def test_wrong_state_calls_name_the_current_status(api, card):
    body = create_intent(api).json()
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert "requires_payment_method" in resp.json()["error"]["message"]
    resp = api.post(
        f"/v1/payment_intents/{body['id']}/3ds/complete", {"result": "authenticated"}, format="json"
    )
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"


def test_no_audit_entries_for_refused_input(api):
    before = AuditEntry.objects.count()
    create_intent(api, amount=0)
    assert AuditEntry.objects.count() == before
