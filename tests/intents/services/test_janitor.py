"""Crash/timeout recovery (the re-check janitor), authorization expiry, injected provider faults."""

from datetime import timedelta

from django.utils import timezone

from apps.connectors.models import Connector
from apps.intents import services, tasks
from apps.intents.models import Charge, PaymentIntent
from apps.intents.services.confirm import begin_attempt
from apps.webhooks.models import Event
from tests.intents.helpers import pay


def test_timeout_after_processing_is_resolved_by_the_janitor(api, card):
    resp = pay(api, card(), metadata={"sandbox_fault": "timeout_after_processing"})
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["status"] == "processing"
    assert Charge.objects.get(public_id=body["latest_charge"]).status == "unknown"
    assert services.payment_intents_recheck(older_than=timedelta(0)) == {
        "authorizations": 1,
        "operations": 0,
        "escalated": 0,
    }
    after = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert after["status"] == "succeeded"
    assert services.payment_intents_recheck(older_than=timedelta(0)) == {
        "authorizations": 0,
        "operations": 0,
        "escalated": 0,
    }


def test_timeout_before_reaching_the_provider_fails_the_attempt(api, card):
    body = pay(api, card(), metadata={"sandbox_fault": "timeout"}).json()
    assert body["status"] == "processing"
    services.payment_intents_recheck(older_than=timedelta(0))
    after = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert after["status"] == "requires_payment_method"
    assert after["last_payment_error"]["code"] == "processing_error"


def test_attempt_left_submitting_by_a_crash(api, card, merchant):
    body = api.post(
        "/v1/payment_intents",
        {"amount": 700, "currency": "usd", "payment_method": card().public_id},
        format="json",
    ).json()
    # simulate a crash right after step 1: the attempt exists, marked submitting, never sent
    intent = PaymentIntent.objects.get(public_id=body["id"])
    from django.db import transaction

    from apps.audit.services import Actor

    with transaction.atomic():
        charge = begin_attempt(
            intent, actor=Actor.system("t"), pm=intent.payment_method, pmd_type="",
            connector=Connector.objects.get_or_create(merchant=merchant, livemode=False, code="sandbox",
                                                      is_default=True, defaults={"name": "Sandbox"})[0],
        )  # fmt: skip
    assert Charge.objects.get(pk=charge.pk).status == "submitting"
    Charge.objects.filter(pk=charge.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    tasks.recheck_attempts_task()
    assert PaymentIntent.objects.get(pk=intent.pk).status == "requires_payment_method"


def test_connector_5xx_answers_503_and_the_intent_can_be_retried(api, card):
    resp = pay(api, card(), metadata={"sandbox_fault": "http_503"})
    assert resp.status_code == 503
    assert resp.json()["error"]["type"] == "api_error"
    assert resp.json()["error"]["code"] == "connector_unavailable"
    intent_id = resp.json()["error"]["payment_intent"]["id"]
    api.post(f"/v1/payment_intents/{intent_id}", {"metadata": {"sandbox_fault": ""}}, format="json")
    again = api.post(f"/v1/payment_intents/{intent_id}/confirm", {}, format="json")
    assert again.json()["status"] == "succeeded"


def test_capture_timeout_is_resolved_by_the_janitor(api, card):
    body = pay(
        api, card(), capture_method="manual", metadata={"sandbox_fault": "capture:timeout_after_processing"}
    ).json()
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {"amount_to_capture": 1500}, format="json")
    assert resp.json()["status"] == "processing"
    assert services.payment_intents_recheck(older_than=timedelta(0))["operations"] == 1
    after = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert (after["status"], after["amount_received"]) == ("succeeded", 1500)


def test_capture_refused_by_a_5xx_goes_back_to_requires_capture(api, card):
    body = pay(api, card(), capture_method="manual", metadata={"sandbox_fault": "capture:http_500"}).json()
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.status_code == 503
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "requires_capture"
    # the same call can be retried (not stored as the idempotent outcome)
    api.post(f"/v1/payment_intents/{body['id']}", {"metadata": {}}, format="json")
    assert (
        api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json").json()["status"]
        == "succeeded"
    )


def test_expired_authorizations_are_canceled_by_the_beat_task(api, card):
    body = pay(api, card(), capture_method="manual").json()
    fresh = pay(api, card(), capture_method="manual").json()
    Charge.objects.filter(public_id=body["latest_charge"]).update(
        authorization_expires_at=timezone.now() - timedelta(seconds=1)
    )
    tasks.expire_authorizations_task()
    expired = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert (expired["status"], expired["cancellation_reason"]) == ("canceled", "automatic")
    assert api.get(f"/v1/payment_intents/{fresh['id']}").json()["status"] == "requires_capture"
    assert Event.objects.filter(type="charge.expired").count() == 1
    resp = api.post(f"/v1/payment_intents/{body['id']}/capture", {}, format="json")
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"
