"""Approval thresholds per currency over the wire: refund_approval_thresholds[usd]=10000 as a form
body (how stripe-style clients send a hash) or JSON, merged with what is set, "" dropping one
currency and an empty field all of them; the single legacy thresholds are unchanged alongside;
an unknown currency or a negative amount answers 400 naming the parameter."""

import pytest

from apps.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def test_thresholds_per_currency_as_form_and_json(api):
    body = api.patch(
        "/v1/settings",
        "refund_approval_thresholds[usd]=10000&refund_approval_thresholds[jpy]=1000"
        "&payout_approval_thresholds[eur]=50000&refund_approval_threshold=700",
        content_type=FORM,
    ).json()
    assert body["refund_approval_thresholds"] == {"jpy": 1000, "usd": 10000}
    assert body["payout_approval_thresholds"] == {"eur": 50000}
    assert (body["refund_approval_threshold"], body["payout_approval_threshold"]) == (700, None)
    body = api.patch(
        "/v1/settings", {"refund_approval_thresholds": {"kwd": 5000, "usd": ""}}, format="json"
    ).json()
    assert body["refund_approval_thresholds"] == {"jpy": 1000, "kwd": 5000}
    assert api.get("/v1/settings").json()["refund_approval_thresholds"] == {"jpy": 1000, "kwd": 5000}
    entry = AuditEntry.objects.filter(action="merchant_settings.updated").order_by("-id").first()
    assert entry.before["refund_approval_thresholds"] == {"JPY": 1000, "USD": 10000}
    assert entry.after["refund_approval_thresholds"] == {"JPY": 1000, "KWD": 5000}
    cleared = api.patch("/v1/settings", "refund_approval_thresholds=", content_type=FORM).json()
    assert (cleared["refund_approval_thresholds"], cleared["refund_approval_threshold"]) == ({}, 700)
    assert cleared["payout_approval_thresholds"] == {"eur": 50000}


@pytest.mark.parametrize("field", ["refund_approval_thresholds", "payout_approval_thresholds"])
@pytest.mark.parametrize(
    "value", [{"xyz": 5}, {"usd": -5}, {"usd": 1.5}, {"usd": "ten"}, [1], "5000"], ids=repr
)
def test_invalid_thresholds_answer_400_naming_the_parameter(api, field, value):
    resp = api.patch("/v1/settings", {field: value}, format="json")
    assert resp.status_code == 400, resp.json()
    assert resp.json()["error"]["param"].startswith(field), resp.json()
    assert api.get("/v1/settings").json()[field] == {}


@pytest.mark.parametrize(
    "body, param",
    [("refund_approval_thresholds[usd]=-1", "refund_approval_thresholds[usd]"),
     ("payout_approval_thresholds[xyz]=100", "payout_approval_thresholds[xyz]"),
     ("refund_approval_thresholds[jpy]=12.5", "refund_approval_thresholds[jpy]")],
)  # fmt: skip
def test_the_400_names_the_currency_parameter(api, body, param):
    resp = api.patch("/v1/settings", body, content_type=FORM)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == param, resp.json()
