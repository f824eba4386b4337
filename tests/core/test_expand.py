"""expand[] (apps/core/expand.py) through the API: scopes, publishable keys, form and JSON bodies."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def intent(api):
    cus = api.post("/v1/customers", {"email": "e@example.com"}, format="json").json()["id"]
    body = api.post(
        "/v1/payment_intents",
        {
            "amount": 1000,
            "currency": "usd",
            "customer": cus,
            "payment_method": "pm_card_visa",
            "confirm": True,
        },
        format="json",
    ).json()
    return body


def test_expand_in_a_query_string_form_body_and_json(api, intent):
    got = api.get(f"/v1/payment_intents/{intent['id']}?expand[]=customer&expand[]=latest_charge").json()
    assert got["customer"]["object"] == "customer"
    assert got["latest_charge"]["object"] == "charge"
    form = api.post(
        f"/v1/payment_intents/{intent['id']}",
        "metadata[k]=v&expand[0]=customer",
        content_type="application/x-www-form-urlencoded",
    ).json()
    assert form["customer"]["email"] == "e@example.com"
    as_json = api.post(
        f"/v1/payment_intents/{intent['id']}", {"expand": ["latest_charge"]}, format="json"
    ).json()
    assert as_json["latest_charge"]["id"] == intent["latest_charge"]


def test_a_restricted_key_expands_only_what_its_scopes_read(client_for, merchant, intent):
    narrow = client_for(merchant, kind="restricted", scopes=["payment_intents:read"])
    refused = narrow.get(f"/v1/payment_intents/{intent['id']}?expand[]=customer")
    assert refused.status_code == 403
    wide = client_for(merchant, kind="restricted", scopes=["payment_intents:read", "customers:read"])
    assert wide.get(f"/v1/payment_intents/{intent['id']}?expand[]=customer").json()["customer"]["id"]


def test_another_merchants_object_is_never_expanded(api, api_other, intent):
    assert api_other.get(f"/v1/payment_intents/{intent['id']}?expand[]=customer").status_code == 404


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("expand[]=amount", "expand[0]"),
        ("expand[]=a.b.c.d.e", "expand[0]"),
        ("expand[]=customer..x", "expand[0]"),
    ],
)
def test_bad_paths_are_400_naming_them(api, intent, query, param):
    resp = api.get(f"/v1/payment_intents/{intent['id']}?{query}")
    assert resp.status_code == 400, resp.json()
    assert resp.json()["error"]["param"] == param
