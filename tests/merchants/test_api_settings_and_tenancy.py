import pytest

from apps.audit.models import AuditEntry
from tests.merchants.factories import api_key_create


@pytest.mark.django_db
def test_settings_read_and_patch_with_etag(api, merchant):
    first = api.get("/v1/settings")
    etag = first["ETag"]
    assert first.json()["settlement_delay_days"] == 2
    changed = api.patch(
        "/v1/settings",
        {"settlement_delay_days": 5, "refund_approval_threshold": 50000},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert changed.status_code == 200
    assert changed.json()["settlement_delay_days"] == 5
    assert changed["ETag"] != etag
    stale = api.patch("/v1/settings", {"settlement_delay_days": 7}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert api.get("/v1/settings").json()["settlement_delay_days"] == 5
    entry = AuditEntry.objects.get(action="merchant_settings.updated")
    assert entry.before == {"settlement_delay_days": 2, "refund_approval_threshold": None}
    assert entry.after == {"settlement_delay_days": 5, "refund_approval_threshold": 50000}
    assert entry.actor_type == "api_key"
    assert entry.request_id.startswith("req_")


@pytest.mark.django_db
def test_settings_patch_rejects_unknown_fields(api):
    response = api.patch("/v1/settings", {"version": 99}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_unknown"


@pytest.mark.django_db
def test_other_merchants_keys_answer_404(api, api_other, other_merchant):
    other_key, _ = api_key_create(other_merchant)
    response = api.get(f"/v1/api_keys/{other_key.public_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"
    assert api.post(f"/v1/api_keys/{other_key.public_id}/revoke", {}, format="json").status_code == 404
    listed = {k["id"] for k in api.get("/v1/api_keys", {"limit": 100}).json()["data"]}
    assert other_key.public_id not in listed


@pytest.mark.django_db
def test_settings_are_per_merchant(api, api_other):
    api.patch("/v1/settings", {"settlement_delay_days": 9}, format="json")
    assert api_other.get("/v1/settings").json()["settlement_delay_days"] == 2


@pytest.mark.django_db
def test_test_mode_keys_cannot_see_live_objects(api, client_for, merchant):
    live = client_for(merchant, livemode=True)
    live_key = live.post("/v1/api_keys", {"type": "secret"}, format="json").json()
    assert live_key["livemode"] is True
    assert api.get(f"/v1/api_keys/{live_key['id']}").status_code == 404
    test_ids = {k["id"] for k in api.get("/v1/api_keys", {"limit": 100}).json()["data"]}
    assert live_key["id"] not in test_ids
    assert all(not k["livemode"] for k in api.get("/v1/api_keys").json()["data"])
