"""Delivery in-process against a real local HTTP receiver: signatures, the retry schedule (time
controlled with time-machine), timeouts, 410, the 3-day disable, per-payment URLs, rotation,
retry_failed and the SKIP LOCKED claim."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.webhooks import retry, services
from apps.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from tests.webhooks.factories import ACTOR, fan_out, make_endpoint, record
from tests.webhooks.helpers import real_broker, verify_webhook_signature


def verify_standard_webhooks(body: bytes, headers: dict, secret: str) -> bool:
    """Standard Webhooks verification as its spec describes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, part.split(",", 1)[1])
        for part in headers["webhook-signature"].split(" ")
    )


def lower(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


@pytest.mark.django_db
def test_delivery_is_signed_both_ways_and_verified_by_the_seed_verifier(merchant, receiver):
    _endpoint, secret = make_endpoint(merchant, receiver.url)
    event = record(merchant)
    [delivery] = fan_out(event)
    assert services.delivery_send(delivery_id=delivery.pk) == "succeeded"
    [got] = receiver.wait_for(1)
    headers = lower(got.headers)
    assert verify_webhook_signature(got.body.decode(), headers["payments-signature"], secret)
    assert not verify_webhook_signature(got.body.decode(), headers["payments-signature"], "whsec_wrong")
    assert verify_standard_webhooks(got.body, headers, secret)
    payload = json.loads(got.body)
    assert payload["id"] == event.public_id == headers["webhook-id"]
    assert payload["object"] == "event"
    assert payload["type"] == "payment_intent.succeeded"
    assert payload["data"]["object"]["id"] == "pi_123"
    assert headers["content-type"] == "application/json"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempt_count == 1
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.outcome == "succeeded" and attempt.response_status == 200
    assert attempt.response_body_excerpt == '{"ok":true}'
    assert "Payments-Signature" in attempt.request_headers


@pytest.mark.django_db
def test_only_matching_endpoints_get_a_delivery(merchant, other_merchant):
    a, _ = make_endpoint(merchant, "https://example.com/a", ["payment_intent.*"])
    _b, _ = make_endpoint(merchant, "https://example.com/b", ["refund.created"])
    c, _ = make_endpoint(merchant, "https://example.com/c", ["*"])
    make_endpoint(merchant, "https://example.com/live", ["*"], livemode=True)
    make_endpoint(other_merchant, "https://example.com/other", ["*"])
    services.webhook_endpoint_set_enabled(endpoint_id=c.pk, enabled=False, actor=ACTOR)
    event = record(merchant, "payment_intent.created")
    assert [d.endpoint_id for d in fan_out(event)] == [a.pk]
    assert services.event_fan_out(event_id=event.pk) == []  # idempotent
    assert Delivery.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_retries_on_500_follow_the_schedule_until_3_days_then_the_endpoint_is_disabled(merchant, receiver):
    receiver.default = 500
    endpoint, _ = make_endpoint(merchant, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=True) as clock:
        event = record(merchant)
        [delivery] = fan_out(event)
        services.delivery_send(delivery_id=delivery.pk)
        gaps = []
        while True:
            delivery.refresh_from_db()
            if delivery.status != "pending":
                break
            gaps.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
            clock.move_to(delivery.next_attempt_at + timedelta(milliseconds=50))
            assert services.deliveries_sweep() == 1  # eager in unit tests: the sweep sends it
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert len(receiver.requests) == len(attempts) == delivery.attempt_count
    assert all(a.response_status == 500 and a.outcome == "failed" for a in attempts)
    # Every gap is the documented delay ±10 % jitter (counted from the end of the attempt, so the
    # HTTP round trip comes on top), except the last, clipped at the 3-day mark.
    for number, gap in enumerate(gaps[:-1], start=1):
        base = retry.base_delay(number)
        assert base * 0.9 <= gap <= base * 1.1 + 1.0, (number, gap)
    assert [round(retry.base_delay(n)) for n in range(1, 9)] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
        86400,
    ]
    last = attempts[-1].attempted_at - attempts[0].attempted_at
    assert timedelta(days=3) - timedelta(seconds=5) <= last <= timedelta(days=3) + timedelta(seconds=5)
    assert delivery.status == "failed"
    endpoint.refresh_from_db()
    assert endpoint.status == "disabled" and endpoint.disabled_reason == "failing"
    notice = Event.objects.get(type="webhook_endpoint.disabled")
    assert notice.data["object"]["id"] == endpoint.public_id
    assert AuditEntry.objects.filter(
        action="webhook_endpoint.disabled", object_id=endpoint.public_id
    ).exists()


@pytest.mark.django_db
def test_a_timeout_is_recorded_and_retried_after_5_seconds(merchant, receiver, settings):
    settings.WEBHOOKS_DELIVERY_TIMEOUT_SECONDS = 1
    receiver.script.append("hang")
    make_endpoint(merchant, receiver.url)
    [delivery] = fan_out(record(merchant))
    assert services.delivery_send(delivery_id=delivery.pk) == "retrying"
    receiver.release()
    delivery.refresh_from_db()
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.error == "timeout" and attempt.response_status is None
    gap = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 0 < gap <= 5.5
    with time_machine.travel(delivery.next_attempt_at + timedelta(milliseconds=10), tick=True):
        assert services.deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempt_count == 2
    assert [json.loads(r.body)["id"] for r in receiver.requests] == [delivery.event.public_id] * 2


@pytest.mark.django_db
def test_410_disables_the_endpoint_at_once(merchant, receiver):
    receiver.default = 410
    endpoint, _ = make_endpoint(merchant, receiver.url)
    [delivery] = fan_out(record(merchant))
    assert services.delivery_send(delivery_id=delivery.pk) == "failed"
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert endpoint.status == "disabled" and endpoint.disabled_reason == "gone"
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert Event.objects.filter(type="webhook_endpoint.disabled").count() == 1
    # Nothing more goes to a disabled endpoint.
    assert fan_out(record(merchant)) == []


@pytest.mark.django_db
def test_a_success_clears_the_failing_streak(merchant, receiver):
    receiver.script.extend([500])
    endpoint, _ = make_endpoint(merchant, receiver.url)
    [d] = fan_out(record(merchant))
    services.delivery_send(delivery_id=d.pk)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    [d2] = fan_out(record(merchant))
    services.delivery_send(delivery_id=d2.pk)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


@pytest.mark.django_db
def test_per_payment_url_from_metadata_is_signed_with_the_default_endpoint_secret(merchant, receiver):
    _, secret = make_endpoint(merchant, "https://example.com/hooks", ["refund.*"])
    data = {"id": "pi_9", "object": "payment_intent", "metadata": {"callback_url": receiver.url + "/order-9"}}
    event = record(merchant, "payment_intent.succeeded", data=data)
    [delivery] = fan_out(event)
    assert delivery.endpoint_id is None and delivery.url.endswith("/order-9")
    assert services.delivery_send(delivery_id=delivery.pk) == "succeeded"
    [got] = receiver.wait_for(1)
    assert got.path == "/hooks/order-9"
    assert verify_webhook_signature(got.body.decode(), lower(got.headers)["payments-signature"], secret)


@pytest.mark.django_db
def test_per_payment_url_without_any_endpoint_is_not_sent(merchant, receiver):
    event = record(merchant, data={"id": "pi_1", "metadata": {"webhook_url": receiver.url}})
    assert fan_out(event) == []


@pytest.mark.django_db
def test_during_rotation_both_secrets_sign(merchant, receiver):
    endpoint, old = make_endpoint(merchant, receiver.url)
    endpoint, new = services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=ACTOR)
    [d] = fan_out(record(merchant))
    services.delivery_send(delivery_id=d.pk)
    [got] = receiver.wait_for(1)
    headers = lower(got.headers)
    assert headers["payments-signature"].count("v1=") == 2
    for secret in (old, new):
        assert verify_webhook_signature(got.body.decode(), headers["payments-signature"], secret)
        assert verify_standard_webhooks(got.body, headers, secret)


@pytest.mark.django_db
def test_retry_failed_redrives_with_a_fresh_schedule(api, merchant, receiver):
    receiver.script.append(500)
    endpoint, _ = make_endpoint(merchant, receiver.url)
    [d] = fan_out(record(merchant))
    services.delivery_send(delivery_id=d.pk)
    Delivery.objects.filter(pk=d.pk).update(status="failed", next_attempt_at=None)
    with pytest.MonkeyPatch.context():
        resp = api.post(
            "/v1/webhook_endpoints/retry_failed", {"webhook_endpoint": endpoint.public_id}, format="json"
        )
    assert resp.status_code == 200 and resp.json() == {"object": "retry_result", "retried": 1}
    d.refresh_from_db()
    assert d.status == "pending" and d.schedule_attempt == 0
    assert services.delivery_send(delivery_id=d.pk) == "succeeded"
    assert AuditEntry.objects.filter(action="webhook_deliveries.retried").exists()


@pytest.mark.django_db
def test_test_endpoint_sends_a_test_event(api, merchant, receiver, django_capture_on_commit_callbacks):
    endpoint, secret = make_endpoint(merchant, receiver.url, ["refund.created"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(f"/v1/webhook_endpoints/{endpoint.public_id}/test", {}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["object"] == "webhook_delivery"
    [got] = receiver.wait_for(1)
    assert json.loads(got.body)["type"] == "webhook_endpoint.test"
    assert verify_webhook_signature(got.body.decode(), lower(got.headers)["payments-signature"], secret)


@pytest.mark.django_db
def test_outbox_sweep_fans_out_events_that_were_never_enqueued(merchant):
    make_endpoint(merchant, "https://example.com/h")
    event = record(merchant)
    assert event.enqueued_at is None  # its on_commit never ran (test transaction)
    assert services.events_outbox_sweep(older_than_seconds=60) == 0
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert services.events_outbox_sweep(older_than_seconds=60) == 1
    event.refresh_from_db()
    assert event.enqueued_at is not None and event.fanned_out_at is not None
    assert Delivery.objects.filter(event=event).count() == 1
    assert services.events_outbox_sweep(older_than_seconds=60) == 0


@pytest.mark.django_db
def test_live_mode_delivery_to_an_internal_address_is_refused_at_send_time(client_for, merchant):
    endpoint, _ = make_endpoint(merchant, "https://example.com/h", livemode=True)
    # DNS now points somewhere internal (rebinding): the send-time check refuses it.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://127.0.0.1/h")
    [d] = fan_out(record(merchant, livemode=True))
    assert services.delivery_send(delivery_id=d.pk) == "failed"
    attempt = DeliveryAttempt.objects.get(delivery=d)
    assert attempt.error.startswith("url_not_allowed")


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_attempt(merchant, receiver):
    receiver.script.append("hang")
    make_endpoint(merchant, receiver.url)
    # Written without event_record so no eager fan-out runs on commit: this test sends by hand.
    event = Event.objects.create(
        merchant=merchant, type="charge.succeeded", api_version="x", data={"object": {}}
    )
    with real_broker():  # the fan-out publishes to a queue nobody consumes; we send by hand
        [d] = fan_out(event)
    results = {}

    def first():
        results["first"] = services.delivery_send(delivery_id=d.pk)

    thread = threading.Thread(target=first)
    thread.start()
    receiver.wait_for(1)  # the first send holds the row and waits on the receiver
    results["second"] = services.delivery_send(delivery_id=d.pk)
    receiver.release()
    thread.join(timeout=30)
    assert results == {"first": "succeeded", "second": "skipped"}
    assert len(receiver.requests) == 1
