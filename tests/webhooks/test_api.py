"""The /v1/webhook_endpoints and /v1/events API: CRUD, secret shown once, rotation, filters,
tenancy, SSRF refusal in live mode."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.webhooks import crypto
from apps.webhooks.models import Event, WebhookEndpoint
from apps.webhooks.services import endpoint_secrets, event_record, events_purge


def create_endpoint(api, **body):
    body.setdefault("url", "https://example.com/hooks")
    body.setdefault("enabled_events", ["*"])
    return api.post("/v1/webhook_endpoints", body, format="json")


@pytest.mark.django_db
def test_create_shows_secret_once_and_stores_it_encrypted(api):
    resp = create_endpoint(api, enabled_events=["payment_intent.*", "charge.succeeded"], description="orders")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["id"].startswith("we_")
    assert body["secret"].startswith("whsec_")
    assert body["enabled_events"] == ["payment_intent.*", "charge.succeeded"]
    assert body["status"] == "enabled"
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert body["secret"] not in endpoint.secret_ciphertext
    assert endpoint_secrets(endpoint) == [body["secret"]]
    again = api.get(f"/v1/webhook_endpoints/{body['id']}").json()
    assert "secret" not in again
    assert AuditEntry.objects.filter(action="webhook_endpoint.created", object_id=body["id"]).exists()


@pytest.mark.django_db
def test_idempotent_replay_of_create_does_not_reveal_the_secret(api):
    first = api.post(
        "/v1/webhook_endpoints",
        {"url": "https://example.com/h", "enabled_events": ["*"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="we-1",
    )
    second = api.post(
        "/v1/webhook_endpoints",
        {"url": "https://example.com/h", "enabled_events": ["*"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="we-1",
    )
    assert first.json()["secret"].startswith("whsec_")
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["secret"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"url": "ftp://example.com", "enabled_events": ["*"]}, "url"),
        ({"url": "https://example.com", "enabled_events": ["Payment Intent"]}, "enabled_events[0]"),
        ({"url": "https://example.com", "enabled_events": []}, "enabled_events"),
        ({"url": "https://example.com"}, "enabled_events"),
        ({"url": "https://example.com", "enabled_events": ["*"], "color": "red"}, "color"),
        ({"url": "https://example.com", "enabled_events": ["*"], "api_version": "1999-01-01"}, "api_version"),
    ],
)
def test_bad_input_names_the_param(api, body, param):
    resp = api.post("/v1/webhook_endpoints", body, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == param


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/h",
        "https://localhost/h",
        "https://10.1.2.3/h",
        "https://169.254.169.254/latest",
        "https://[::1]/h",
    ],
)
def test_live_mode_refuses_internal_destinations(client_for, merchant, url):
    live = client_for(merchant, livemode=True)
    resp = create_endpoint(live, url=url)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "url"
    assert resp.json()["error"]["code"] == "url_not_allowed"


@pytest.mark.django_db
def test_live_mode_requires_https(client_for, merchant):
    resp = create_endpoint(client_for(merchant, livemode=True), url="http://example.com/h")
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "url"


@pytest.mark.django_db
def test_test_mode_allows_localhost_by_setting(api, settings):
    assert create_endpoint(api, url="http://127.0.0.1:9/h").status_code == 200
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE = False
    resp = create_endpoint(api, url="http://127.0.0.1:9/h")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "url_not_allowed"


@pytest.mark.django_db
def test_update_disable_list_and_delete(api):
    we = create_endpoint(api).json()["id"]
    resp = api.post(
        f"/v1/webhook_endpoints/{we}",
        {"enabled_events": ["refund.*"], "disabled": True, "description": "x"},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "disabled"
    assert resp.json()["enabled_events"] == ["refund.*"]
    listed = api.get("/v1/webhook_endpoints").json()
    assert [e["id"] for e in listed["data"]] == [we]
    assert api.delete(f"/v1/webhook_endpoints/{we}").json() == {
        "id": we,
        "object": "webhook_endpoint",
        "deleted": True,
    }
    assert api.get(f"/v1/webhook_endpoints/{we}").status_code == 404
    assert api.get("/v1/webhook_endpoints").json()["data"] == []


@pytest.mark.django_db
def test_rotate_secret_keeps_the_old_one_for_the_grace_period(api):
    created = create_endpoint(api).json()
    rotated = api.post(
        f"/v1/webhook_endpoints/{created['id']}/rotate_secret",
        {"previous_secret_expires_in": 3600},
        format="json",
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != created["secret"]
    endpoint = WebhookEndpoint.objects.get(public_id=created["id"])
    assert endpoint_secrets(endpoint) == [new, created["secret"]]
    assert endpoint_secrets(endpoint, now=timezone.now() + timedelta(hours=2)) == [new]


@pytest.mark.django_db
def test_secret_ciphertext_is_bound_to_its_row(api):
    a = WebhookEndpoint.objects.get(public_id=create_endpoint(api).json()["id"])
    b = WebhookEndpoint.objects.get(public_id=create_endpoint(api).json()["id"])
    b.secret_ciphertext = a.secret_ciphertext
    with pytest.raises(Exception):
        endpoint_secrets(b)
    assert crypto.decrypt(crypto.encrypt("x", context="c"), context="c") == "x"


@pytest.mark.django_db
def test_other_merchants_endpoints_answer_404(api, api_other):
    we = create_endpoint(api).json()["id"]
    assert api_other.get(f"/v1/webhook_endpoints/{we}").status_code == 404
    assert api_other.post(f"/v1/webhook_endpoints/{we}/rotate_secret", {}, format="json").status_code == 404
    assert api_other.delete(f"/v1/webhook_endpoints/{we}").status_code == 404


def _events(merchant, *types, livemode=False):
    with transaction.atomic():
        return [
            event_record(merchant=merchant, livemode=livemode, type=t, data={"id": f"x_{i}"})
            for i, t in enumerate(types)
        ]


@pytest.mark.django_db
def test_events_list_filters_by_type_with_wildcard_and_created(api, merchant, other_merchant):
    _events(
        merchant, "payment_intent.created", "payment_intent.succeeded", "charge.succeeded", "refund.created"
    )
    _events(other_merchant, "payment_intent.created")
    _events(merchant, "payment_intent.created", livemode=True)
    all_ = api.get("/v1/events").json()
    assert len(all_["data"]) == 4
    first = all_["data"][0]
    assert first["object"] == "event" and first["id"].startswith("evt_")
    assert first["type"] == "refund.created"
    assert first["data"]["object"] == {"id": "x_3"}
    wild = api.get("/v1/events", {"type": "payment_intent.*"}).json()["data"]
    assert sorted(e["type"] for e in wild) == ["payment_intent.created", "payment_intent.succeeded"]
    exact = api.get("/v1/events", {"type": "charge.succeeded"}).json()["data"]
    assert [e["type"] for e in exact] == ["charge.succeeded"]
    bad = api.get("/v1/events", {"type": "pay ment"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "type"
    Event.objects.filter(type="refund.created").update(created_at=timezone.now() - timedelta(days=2))
    recent = api.get(
        "/v1/events", {"created[gte]": int((timezone.now() - timedelta(days=1)).timestamp())}
    ).json()
    assert len(recent["data"]) == 3
    one = api.get(f"/v1/events/{first['id']}")
    assert one.status_code == 200 and one.json()["id"] == first["id"]
    other_event = Event.objects.get(merchant=other_merchant)
    assert api.get(f"/v1/events/{other_event.public_id}").status_code == 404


@pytest.mark.django_db
def test_events_older_than_30_days_are_purged(merchant):
    old, new = _events(merchant, "customer.created", "customer.updated")
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert events_purge() == 1
    assert list(Event.objects.values_list("pk", flat=True)) == [new.pk]
