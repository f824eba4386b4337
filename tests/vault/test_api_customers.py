import pytest

from apps.audit.models import AuditEntry
from apps.vault.models import Customer
from apps.webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_create_customer_lowercases_email_and_records_event_and_audit(api, merchant):
    response = api.post(
        "/v1/customers",
        {
            "email": "Jane.Doe@Example.COM",
            "name": "Jane Doe",
            "phone": "+15555550100",
            "description": "VIP",
            "address": {"line1": "1 Main St", "city": "Springfield", "country": "us", "postal_code": "12345"},
            "metadata": {"crm_id": "42"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"].startswith("cus_")
    assert body["object"] == "customer"
    assert body["email"] == "jane.doe@example.com"
    assert body["address"]["country"] == "US"
    assert body["metadata"] == {"crm_id": "42"}
    assert body["invoice_settings"] == {"default_payment_method": None}
    assert body["livemode"] is False
    customer = Customer.objects.get(public_id=body["id"])
    assert customer.merchant == merchant
    event = Event.objects.get(type="customer.created")
    assert event.data["object"]["id"] == body["id"]
    assert AuditEntry.objects.filter(action="customer.created", object_id=body["id"]).exists()


@pytest.mark.parametrize(
    ("payload", "param", "code"),
    [
        ({"email": "not-an-email"}, "email", "parameter_invalid"),
        ({"colour": "red"}, "colour", "parameter_unknown"),
        ({"metadata": {"k": {"nested": 1}}}, "metadata", "parameter_invalid"),
        ({"address": {"planet": "Mars"}}, "address[planet]", "parameter_unknown"),
        ({"name": "x" * 300}, "name", "parameter_invalid"),
    ],
)
def test_bad_customer_input_names_param_and_stores_nothing(api, payload, param, code):
    response = api.post("/v1/customers", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    assert Customer.objects.count() == 0


def test_retrieve_update_and_metadata_merge(api):
    cus = api.post(
        "/v1/customers", {"email": "a@example.com", "metadata": {"a": "1", "b": "2"}}, format="json"
    ).json()
    response = api.post(
        f"/v1/customers/{cus['id']}", {"name": "Ann", "metadata": {"b": "", "c": "3"}}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Ann"
    assert body["metadata"] == {"a": "1", "c": "3"}
    event = Event.objects.get(type="customer.updated")
    assert event.previous_attributes["name"] is None
    assert api.get(f"/v1/customers/{cus['id']}").json()["name"] == "Ann"


def test_update_with_no_change_writes_no_event(api):
    cus = api.post("/v1/customers", {"email": "a@example.com"}, format="json").json()
    api.post(f"/v1/customers/{cus['id']}", {"email": "A@example.com"}, format="json")
    assert not Event.objects.filter(type="customer.updated").exists()


def test_delete_is_soft_audited_and_hides_customer(api):
    cus = api.post("/v1/customers", {"email": "gone@example.com"}, format="json").json()
    response = api.delete(f"/v1/customers/{cus['id']}", {"reason": "GDPR request"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": cus["id"], "object": "customer", "deleted": True}
    row = Customer.objects.get(public_id=cus["id"])
    assert row.deleted_at is not None
    assert row.deleted_reason == "GDPR request"
    assert AuditEntry.objects.get(action="customer.deleted", object_id=cus["id"]).reason == "GDPR request"
    assert Event.objects.filter(type="customer.deleted").count() == 1
    assert api.get(f"/v1/customers/{cus['id']}").json() == {
        "id": cus["id"],
        "object": "customer",
        "deleted": True,
    }
    assert api.get("/v1/customers").json()["data"] == []
    assert api.post(f"/v1/customers/{cus['id']}", {"name": "x"}, format="json").status_code == 404
    assert api.delete(f"/v1/customers/{cus['id']}").status_code == 404


def test_list_filters_by_email_and_created_and_paginates(api):
    ids = [
        api.post("/v1/customers", {"email": f"user{i % 2}@example.com"}, format="json").json()["id"]
        for i in range(5)
    ]
    body = api.get("/v1/customers", {"email": "USER0@example.com"}).json()
    assert [c["id"] for c in body["data"]] == [ids[4], ids[2], ids[0]]
    page = api.get("/v1/customers", {"limit": 2}).json()
    assert page["has_more"] is True
    assert [c["id"] for c in page["data"]] == [ids[4], ids[3]]
    page2 = api.get("/v1/customers", {"limit": 2, "starting_after": ids[3]}).json()
    assert [c["id"] for c in page2["data"]] == [ids[2], ids[1]]
    created = page["data"][0]["created"]
    assert len(api.get("/v1/customers", {"created[gte]": created + 3600}).json()["data"]) == 0
    assert len(api.get("/v1/customers", {"created[lte]": created + 3600}).json()["data"]) == 5
    bad = api.get("/v1/customers", {"created[gte]": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "created[gte]"


def test_lookup_by_email_returns_every_customer_sharing_it(api):
    first = api.post("/v1/customers", {"email": "shared@example.com"}, format="json").json()["id"]
    second = api.post("/v1/customers", {"email": "Shared@example.com"}, format="json").json()["id"]
    api.post("/v1/customers", {"email": "other@example.com"}, format="json")
    body = api.get("/v1/customers/search", {"query": "email:'SHARED@example.com'"}).json()
    assert body["object"] == "search_result"
    assert [c["id"] for c in body["data"]] == [second, first]
    assert [
        c["id"] for c in api.get("/v1/customers/search", {"email": "shared@example.com"}).json()["data"]
    ] == [
        second,
        first,
    ]
    bad = api.get("/v1/customers/search", {"query": "balance:'x'"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "query"
    missing = api.get("/v1/customers/search")
    assert missing.json()["error"]["code"] == "parameter_missing"
