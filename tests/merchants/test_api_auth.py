from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.merchants.models import ApiKey, Merchant
from tests.merchants.factories import api_key_create


def _client(key: str | None, scheme="Bearer") -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


@pytest.mark.django_db
def test_missing_key_is_401():
    response = _client(None).get("/v1/settings")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert response.json()["error"]["code"] == "api_key_missing"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["sk_test_garbage", "nonsense", "sk_test_" + "a" * 44, "xx_test_" + "a" * 44])
def test_bad_key_is_401(key, merchant):
    response = _client(key).get("/v1/settings")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_invalid"
    assert key not in response.json()["error"]["message"] or len(key) <= 12  # never echoed in full


@pytest.mark.django_db
def test_expired_and_revoked_keys_are_401(merchant):
    key, plaintext = api_key_create(merchant)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _client(plaintext).get("/v1/settings").json()["error"]["code"] == "api_key_expired"
    key2, plaintext2 = api_key_create(merchant)
    ApiKey.objects.filter(pk=key2.pk).update(revoked_at=timezone.now())
    response = _client(plaintext2).get("/v1/settings")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_revoked"


@pytest.mark.django_db
def test_suspended_merchant_is_403_account_suspended(merchant):
    _, plaintext = api_key_create(merchant)
    Merchant.objects.filter(pk=merchant.pk).update(status=Merchant.Status.SUSPENDED)
    response = _client(plaintext).get("/v1/settings")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_suspended"


@pytest.mark.django_db
def test_basic_auth_with_key_as_username_works(merchant):
    import base64

    _, plaintext = api_key_create(merchant)
    token = base64.b64encode(f"{plaintext}:".encode()).decode()
    assert _client(token, scheme="Basic").get("/v1/settings").status_code == 200


@pytest.mark.django_db
def test_keys_are_stored_hashed_and_shown_once(api, merchant):
    created = api.post("/v1/api_keys", {"type": "secret", "name": "server"}, format="json").json()
    secret = created["secret"]
    assert secret.startswith("sk_test_")
    row = ApiKey.objects.get(public_id=created["id"])
    assert secret not in (row.hashed_key, row.display_prefix, row.lookup)
    fetched = api.get(f"/v1/api_keys/{created['id']}").json()
    assert "secret" not in fetched
    assert fetched["redacted_key"].startswith(secret[:16])
    assert _client(secret).get("/v1/settings").status_code == 200


@pytest.mark.django_db
def test_revoke_key_through_api(api):
    created = api.post("/v1/api_keys", {"type": "secret"}, format="json").json()
    response = api.post(f"/v1/api_keys/{created['id']}/revoke", {"reason": "leaked"}, format="json")
    assert response.json()["revoked"] is True
    assert _client(created["secret"]).get("/v1/settings").status_code == 401
    again = api.post(f"/v1/api_keys/{created['id']}/revoke", {}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "api_key_revoked"


@pytest.mark.django_db
def test_last_used_at_is_recorded(merchant):
    key, plaintext = api_key_create(merchant)
    _client(plaintext).get("/v1/settings")
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.django_db
def test_publishable_key_cannot_call_secret_endpoints(client_for, merchant):
    pk = client_for(merchant, kind="publishable")
    assert pk.api_key_plaintext.startswith("pk_test_")
    for method, url in (("get", "/v1/settings"), ("get", "/v1/api_keys"), ("post", "/v1/api_keys")):
        response = getattr(pk, method)(url, {"type": "secret"} if method == "post" else None, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "secret_key_required"


@pytest.mark.django_db
def test_restricted_key_scopes(client_for, merchant):
    rk = client_for(merchant, kind="restricted", scopes=["settings:read"])
    assert rk.api_key_plaintext.startswith("rk_test_")
    assert rk.get("/v1/settings").status_code == 200
    denied = rk.patch("/v1/settings", {"settlement_delay_days": 3}, format="json")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "insufficient_scope"
    assert rk.get("/v1/api_keys").status_code == 403


@pytest.mark.django_db
def test_restricted_key_needs_valid_scopes(api):
    response = api.post("/v1/api_keys", {"type": "restricted", "scopes": ["everything:all"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "scopes"
