"""The API's orjson renderer (apps/core/renderers.py) writes the bytes DRF's JSONRenderer wrote: the
payloads of the hot path, the API's answers, and the values orjson writes differently on its own."""

import datetime as dt
import decimal
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFRenderer

from apps.core.renderers import JSONRenderer
from apps.intents.models import Charge, PaymentIntent
from apps.intents.payloads import charge_to_dict, payment_intent_public_dict, payment_intent_to_dict
from tests.intents.helpers import create_intent, make_card, pay

MEDIA = "application/json"


@pytest.fixture
def card(merchant):
    return lambda number="4242424242424242": make_card(merchant, number)


def both(data, media=MEDIA):
    return JSONRenderer().render(data, media, {}), DRFRenderer().render(data, media, {})


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": 2, "nested": {"z": None, "y": [True, False, None]}},  # key order kept
        {"amount": 2**63 - 1, "neg": -(2**63), "big": 2**64 + 1, "bigger": -(10**30)},
        {"floats": [0.1, 1.0, 2.5, 1e16, 1.5e300, 1e-4, 9e-05, 1.5e-07, -3.2e-06, 5e-324, 1e-10, 10.00001]},
        {"text": 'café ☕ 😀 \u2028 \u2029 \u2013 \x00\x1f\x7f "quoted" back\\slash / tab\t nl\n'},
        {"3e-4": "e-5 single-use 0.00001 as text", "x": "1e-7"},
        {1: "int key", 2.5: "float key", False: "bool key", None: "none key"},
        {"at": dt.datetime(2026, 12, 1, 18, 0, 5, 123456, tzinfo=dt.UTC)},
        {
            "at": dt.datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            "naive": dt.datetime(2026, 1, 2),
        },
        {"day": dt.date(2026, 12, 1), "time": dt.time(9, 30, 0, 500)},
        {"fee": decimal.Decimal("1.25"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
        {"label": gettext_lazy("Payments"), "rows": ("a", "b"), "empty": {}, "list": []},
        [1, "two", {"three": 3}],
        "a bare string",
        0,
    ],
)
def test_orjson_writes_what_drf_wrote(value):
    ours, drf = both(value)
    assert ours == drf


def test_indent_requests_get_drfs_pretty_output():
    media = "application/json; indent=2"
    ours, drf = both({"a": [1, 2]}, media)
    assert ours == drf and b"\n  " in ours


def test_nothing_renders_as_an_empty_body():
    assert both(None) == (b"", b"")


def test_what_drf_refused_is_refused_the_same_way():
    with pytest.raises(TypeError):
        DRFRenderer().render({"x": object()}, MEDIA, {})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()}, MEDIA, {})
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render({"lone": "\ud800"}, MEDIA, {})


@pytest.mark.django_db
def test_hot_path_payloads_render_as_before(api, card, merchant):
    succeeded = pay(api, card(), metadata={"order_id": "ord_ü\u2028", "note": "naïve \u2013 ok"},
                    description="Café 😀", receipt_email="buyer@example.com")  # fmt: skip
    assert succeeded.status_code == 200
    manual = pay(api, card(), capture_method="manual")
    declined = pay(api, card("4000000000000002"))
    assert declined.status_code == 402
    create_intent(api)  # requires_payment_method, nothing attached
    intents = PaymentIntent.objects.filter(merchant=merchant).select_related(
        "customer", "payment_method", "latest_charge"
    )
    assert intents.count() == 4 and manual.status_code == 200
    for intent in intents:
        for payload in (payment_intent_to_dict(intent), payment_intent_public_dict(intent)):
            ours, drf = both(payload)
            assert ours == drf
    for charge in Charge.objects.filter(merchant=merchant):
        ours, drf = both(charge_to_dict(charge))
        assert ours == drf


@pytest.mark.django_db
def test_api_answers_are_the_bytes_drf_would_have_written(api, card, merchant):
    created = pay(api, card(), metadata={"order_id": "ord_\u2029"}, description="Zoë")
    intent = PaymentIntent.objects.select_related("customer", "payment_method", "latest_charge").get(
        public_id=created.json()["id"]
    )
    assert created.content == DRFRenderer().render(payment_intent_to_dict(intent), MEDIA, {})
    for path in (f"/v1/payment_intents/{intent.public_id}", f"/v1/payment_intents/{intent.public_id}/cancel"):
        resp = api.get(path) if "cancel" not in path else api.post(path, {}, format="json")
        assert resp["Content-Type"] == "application/json"
        assert resp.content == DRFRenderer().render(resp.json(), MEDIA, {})
    error = api.post(f"/v1/payment_intents/{intent.public_id}/capture", {}, format="json")
    assert error.status_code == 400
    assert error.content == DRFRenderer().render(error.json(), MEDIA, {})
