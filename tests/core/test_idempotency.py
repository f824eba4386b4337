import threading

import pytest
import requests

from apps.core.models import IdempotencyKey
from apps.merchants.models import ApiKey


@pytest.mark.django_db
def test_replay_returns_stored_response_with_header(api, merchant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-42"}
    first = api.post("/v1/api_keys", {"type": "secret", "name": "ci"}, format="json", **headers)
    second = api.post("/v1/api_keys", {"type": "secret", "name": "ci"}, format="json", **headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == {**first.json(), "secret": None}  # a key's secret is shown once, never replayed
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ApiKey.objects.filter(merchant=merchant, name="ci").count() == 1


@pytest.mark.django_db
def test_same_key_different_params_is_idempotency_error(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k1"}
    assert api.post("/v1/api_keys", {"type": "secret"}, format="json", **headers).status_code == 200
    response = api.post("/v1/api_keys", {"type": "publishable"}, format="json", **headers)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "idempotency_error"


@pytest.mark.django_db
def test_validation_failure_is_not_stored_so_the_key_can_be_reused(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "fix-and-retry"}
    bad = api.post("/v1/api_keys", {"type": "nonsense"}, format="json", **headers)
    assert bad.status_code == 400
    good = api.post("/v1/api_keys", {"type": "secret"}, format="json", **headers)
    assert good.status_code == 200


@pytest.mark.django_db
def test_keys_are_scoped_per_merchant_and_mode(api, api_other, client_for, merchant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "shared-key"}
    a = api.post("/v1/api_keys", {"type": "secret"}, format="json", **headers)
    b = api_other.post("/v1/api_keys", {"type": "secret"}, format="json", **headers)
    live = client_for(merchant, livemode=True).post(
        "/v1/api_keys", {"type": "secret"}, format="json", **headers
    )
    assert a.json()["id"] != b.json()["id"] != live.json()["id"]
    assert live.json()["livemode"] is True
    assert "Idempotent-Replayed" not in b and "Idempotent-Replayed" not in live


@pytest.mark.django_db
def test_duplicate_while_first_is_running_answers_409(api, merchant, settings):
    from django.utils import timezone

    settings.IDEMPOTENCY_WAIT_SECONDS = 0.1
    body = {"type": "secret"}
    from apps.core.idempotency import request_fingerprint

    IdempotencyKey.objects.create(
        merchant=merchant,
        livemode=False,
        key="running",
        request_method="POST",
        request_path="/v1/api_keys",
        request_hash=request_fingerprint(method="POST", path="/v1/api_keys", data=body),
        expires_at=timezone.now() + timezone.timedelta(hours=1),
    )
    response = api.post("/v1/api_keys", body, format="json", HTTP_IDEMPOTENCY_KEY="running")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"


@pytest.mark.django_db
def test_purge_task_removes_expired_keys(api, merchant):
    from django.utils import timezone

    from apps.core.tasks import idempotency_keys_purge_task

    api.post("/v1/api_keys", {"type": "secret"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    api.post("/v1/api_keys", {"type": "secret"}, format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert idempotency_keys_purge_task.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_posts_with_one_key_create_one_object(merchant):
    """Real PostgreSQL, two gunicorn worker processes with four threads each (separate
    connections): exactly one key is created and every request answers the same body."""
    from tests.merchants.factories import api_key_create
    from tests.servers import gunicorn

    _, plaintext = api_key_create(merchant)
    with gunicorn(workers=2, threads=4) as url:
        _concurrent_idempotent_posts(url, plaintext, merchant)


def _concurrent_idempotent_posts(base_url, plaintext, merchant):
    barrier = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def post():
        barrier.wait()
        r = requests.post(
            f"{base_url}/v1/api_keys",
            json={"type": "secret", "name": "concurrent"},
            headers={"Authorization": f"Bearer {plaintext}", "Idempotency-Key": "same-key-20"},
            timeout=30,
        )
        with lock:
            results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ApiKey.objects.filter(merchant=merchant, name="concurrent").count() == 1
    assert {status for status, _ in results} == {200}
    assert len({body["id"] for _, body in results}) == 1
    # The new key's secret is shown once: only the original response carries it; replays are
    # otherwise identical.
    assert sum(1 for _, body in results if body["secret"]) == 1
    redacted = [{**body, "secret": None} for _, body in results]
    assert all(body == redacted[0] for body in redacted)
    other = requests.post(
        f"{base_url}/v1/api_keys",
        json={"type": "publishable"},
        headers={"Authorization": f"Bearer {plaintext}", "Idempotency-Key": "same-key-20"},
        timeout=30,
    )
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


def test_request_fingerprint_is_keyed_not_a_plain_hash_of_the_body():
    import hashlib
    import json

    from apps.core.idempotency import request_fingerprint

    data = {"type": "card", "card": {"number": "4242424242424242"}}
    fingerprint = request_fingerprint(method="POST", path="/v1/payment_methods", data=data)
    canonical = json.dumps(
        {"m": "POST", "p": "/v1/payment_methods", "d": data}, sort_keys=True, separators=(",", ":")
    )
    assert fingerprint != hashlib.sha256(canonical.encode()).hexdigest()
    assert fingerprint == request_fingerprint(method="POST", path="/v1/payment_methods", data=data)
