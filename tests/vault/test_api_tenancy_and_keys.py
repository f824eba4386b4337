"""Tenant isolation on every vault endpoint; publishable keys only tokenize."""

import pytest

from apps.vault.models import Customer, PaymentMethod
from tests.vault.factories import card_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(api, publishable):
    cus = api.post("/v1/customers", {"email": "mine@example.com"}, format="json").json()["id"]
    pm = api.post(
        "/v1/payment_methods", card_payload(customer=cus, allow_redisplay="always"), format="json"
    ).json()["id"]
    loose = api.post("/v1/payment_methods", card_payload("5555555555554444"), format="json").json()["id"]
    bank = api.post(
        "/v1/payment_methods",
        {
            "type": "us_bank_account",
            "us_bank_account": {"routing_number": "110000000", "account_number": "00012345"},
        },
        format="json",
    ).json()["id"]
    token = publishable.post(
        "/v1/tokens",
        {"card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2035}},
        format="json",
    ).json()["id"]
    return {"cus": cus, "pm": pm, "loose": loose, "bank": bank, "tok": token}


def _calls(o):
    return [
        ("get", f"/v1/customers/{o['cus']}", None),
        ("post", f"/v1/customers/{o['cus']}", {"name": "x"}),
        ("delete", f"/v1/customers/{o['cus']}", None),
        ("get", f"/v1/customers/{o['cus']}/payment_methods", None),
        ("get", "/v1/payment_methods", {"customer": o["cus"]}),
        ("get", f"/v1/payment_methods/{o['pm']}", None),
        ("post", f"/v1/payment_methods/{o['pm']}", {"nickname": "x"}),
        ("delete", f"/v1/payment_methods/{o['pm']}", None),
        (
            "post",
            f"/v1/payment_methods/{o['loose']}/attach",
            {"customer": o["cus"], "allow_redisplay": "always"},
        ),
        ("post", f"/v1/payment_methods/{o['pm']}/detach", {}),
        ("post", f"/v1/payment_methods/{o['bank']}/verify", {}),
        ("get", f"/v1/tokens/{o['tok']}", None),
        ("post", "/v1/payment_methods", {"type": "card", "token": o["tok"]}),
        ("post", "/v1/payment_methods", card_payload(customer=o["cus"], allow_redisplay="always")),
    ]


def _call(client, method, url, data):
    if method == "get":
        return client.get(url, data or {})
    return getattr(client, method)(url, data, format="json")


@pytest.mark.parametrize("index", range(14))
def test_other_merchant_gets_404_on_every_endpoint(api_other, objects, index):
    method, url, data = _calls(objects)[index]
    response = _call(api_other, method, url, data)
    assert response.status_code == 404, (url, response.json())
    assert response.json()["error"]["code"] == "resource_missing"


@pytest.mark.parametrize("index", range(14))
def test_live_key_of_same_merchant_gets_404_on_test_objects(client_for, merchant, objects, index):
    live = client_for(merchant, livemode=True)
    method, url, data = _calls(objects)[index]
    assert _call(live, method, url, data).status_code == 404


def test_other_merchants_cannot_list_or_search_my_objects(api_other, objects):
    assert api_other.get("/v1/customers").json()["data"] == []
    assert api_other.get("/v1/payment_methods").json()["data"] == []
    assert api_other.get("/v1/customers/search", {"email": "mine@example.com"}).json()["data"] == []


def test_attaching_my_payment_method_to_their_customer_is_404(api, api_other, objects):
    theirs = api_other.post("/v1/customers", {"email": "t@example.com"}, format="json").json()["id"]
    response = api.post(
        f"/v1/payment_methods/{objects['loose']}/attach",
        {"customer": theirs, "allow_redisplay": "always"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "customer"


def test_nothing_changed_after_foreign_attempts(api_other, objects):
    for method, url, data in _calls(objects):
        _call(api_other, method, url, data)
    assert Customer.objects.filter(deleted_at__isnull=True).count() == 1
    assert PaymentMethod.objects.filter(deleted_at__isnull=True).count() == 3
    assert PaymentMethod.objects.get(public_id=objects["pm"]).nickname == ""


PUBLISHABLE_REFUSED = [
    ("get", "/v1/customers", None),
    ("post", "/v1/customers", {"email": "x@example.com"}),
    ("get", "/v1/customers/search", {"email": "x@example.com"}),
    ("get", "/v1/customers/cus_x", None),
    ("post", "/v1/customers/cus_x", {"name": "x"}),
    ("delete", "/v1/customers/cus_x", None),
    ("get", "/v1/customers/cus_x/payment_methods", None),
    ("get", "/v1/payment_methods", None),
    ("post", "/v1/payment_methods", card_payload()),
    ("get", "/v1/payment_methods/pm_x", None),
    ("post", "/v1/payment_methods/pm_x", {"nickname": "x"}),
    ("delete", "/v1/payment_methods/pm_x", None),
    ("post", "/v1/payment_methods/pm_x/attach", {"customer": "cus_x"}),
    ("post", "/v1/payment_methods/pm_x/detach", {}),
    ("post", "/v1/payment_methods/pm_x/verify", {}),
    ("get", "/v1/tokens/tok_x", None),
]


@pytest.mark.parametrize(("method", "url", "data"), PUBLISHABLE_REFUSED)
def test_publishable_key_is_refused_everywhere_but_tokens(publishable, method, url, data):
    response = _call(publishable, method, url, data)
    assert response.status_code == 403, (url, response.content)
    assert response.json()["error"]["type"] == "permission_error"
    assert PaymentMethod.objects.count() == 0 and Customer.objects.count() == 0


def test_publishable_key_can_tokenize(publishable):
    response = publishable.post(
        "/v1/tokens",
        {"card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2035}},
        format="json",
    )
    assert response.status_code == 200


def test_restricted_key_needs_the_vault_scopes(client_for, merchant):
    read_only = client_for(merchant, kind="restricted", scopes=["customers:read"])
    assert read_only.get("/v1/customers").status_code == 200
    assert read_only.post("/v1/customers", {"email": "x@example.com"}, format="json").status_code == 403
    assert read_only.get("/v1/payment_methods").status_code == 403
    writer = client_for(merchant, kind="restricted", scopes=["payment_methods:write"])
    assert writer.post("/v1/payment_methods", card_payload(), format="json").status_code == 200
