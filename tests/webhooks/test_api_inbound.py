"""POST /v1/webhooks/gateway/{connector_id}: stored raw first, verified by the adapter,
deduplicated on (connector, provider event id), applied through the refunds/intents services."""

import json
import threading

import pytest
from django.core.signals import request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from apps.connectors.models import Connector
from apps.connectors.sandbox import SandboxAdapter
from apps.intents.models import Charge, PaymentIntent
from apps.refunds.models import Refund
from apps.webhooks.models import Event, InboundWebhook
from tests.intents.helpers import make_card, pay


@pytest.fixture
def pending_refund(api, merchant):
    """A refund the sandbox acquirer leaves pending (card 4000000000005126 fails refunds later)."""
    body = pay(api, make_card(merchant, "4000000000005126"), amount=5000).json()
    data = api.post("/v1/refunds", {"payment_intent": body["id"]}, format="json").json()
    assert data["status"] == "pending", data
    return Refund.objects.get(public_id=data["id"])


def connector_of(merchant) -> Connector:
    return Connector.objects.get(merchant=merchant, code="sandbox", livemode=False)


def post_callback(connector_id: str, raw: bytes, headers: dict):
    client = APIClient()
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"
    }
    return client.post(
        f"/v1/webhooks/gateway/{connector_id}", data=raw, content_type="application/json", **extra
    )


@pytest.mark.django_db
def test_a_refund_failing_asynchronously_is_applied_once_even_when_replayed(merchant, pending_refund):
    connector = connector_of(merchant)
    raw, headers = SandboxAdapter().build_webhook(
        type="refund.failed", gateway_reference=pending_refund.gateway_reference, amount=5000
    )
    first = post_callback(connector.public_id, raw, headers)
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "processed" and first.json()["duplicate"] is False
    second = post_callback(connector.public_id, raw, headers)
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    pending_refund.refresh_from_db()
    assert pending_refund.status == "failed"
    assert Event.objects.filter(type="refund.failed").count() == 1
    rows = list(InboundWebhook.objects.order_by("id"))
    assert [r.status for r in rows] == ["processed", "duplicate"]
    assert rows[1].duplicate_of_id == rows[0].id
    assert rows[0].provider_event_id == json.loads(raw)["id"]
    assert rows[0].body == raw.decode()
    assert rows[0].result == "applied"


@pytest.mark.django_db
def test_a_bad_signature_changes_nothing_and_is_recorded(merchant, pending_refund):
    connector = connector_of(merchant)
    raw, headers = SandboxAdapter(credentials={"webhook_secret": "whsec_someone_else"}).build_webhook(
        type="refund.failed", gateway_reference=pending_refund.gateway_reference, amount=5000
    )
    resp = post_callback(connector.public_id, raw, headers)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "webhook_signature_invalid"
    pending_refund.refresh_from_db()
    assert pending_refund.status == "pending"
    row = InboundWebhook.objects.get()
    assert row.status == "rejected" and "signature_invalid" in row.error and row.body == raw.decode()
    assert Event.objects.filter(type="refund.failed").count() == 0
    # Tampered body with a valid header: refused too.
    good_raw, good_headers = SandboxAdapter().build_webhook(
        type="refund.failed", gateway_reference=pending_refund.gateway_reference, amount=5000
    )
    assert (
        post_callback(connector.public_id, good_raw.replace(b"5000", b"1"), good_headers).status_code == 400
    )
    missing = post_callback(connector.public_id, good_raw, {})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "webhook_signature_missing"
    pending_refund.refresh_from_db()
    assert pending_refund.status == "pending"


@pytest.mark.django_db
def test_unknown_connector_answers_404_and_is_recorded(merchant):
    raw, headers = SandboxAdapter().build_webhook(type="refund.failed", gateway_reference="x", amount=1)
    resp = post_callback("con_doesnotexist", raw, headers)
    assert resp.status_code == 404
    assert InboundWebhook.objects.get().status == "rejected"


@pytest.mark.django_db
def test_a_charge_event_resolves_an_attempt_left_unknown(api, merchant):
    body = pay(api, make_card(merchant), metadata={"sandbox_fault": "timeout_after_processing"}).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    adapter = SandboxAdapter()
    reference = adapter.store.get(charge.provider_key).reference
    Charge.objects.filter(pk=charge.pk).update(gateway_reference=reference)
    raw, headers = adapter.build_webhook(type="charge.succeeded", gateway_reference=reference, amount=2000)
    for _ in range(2):
        assert post_callback(connector_of(merchant).public_id, raw, headers).status_code == 200
    assert PaymentIntent.objects.get(public_id=body["id"]).status == "succeeded"
    assert Event.objects.filter(type="payment_intent.succeeded").count() == 1
    assert [r.status for r in InboundWebhook.objects.order_by("id")] == ["processed", "duplicate"]


@pytest.mark.django_db
def test_dispute_events_are_applied_and_unknown_types_are_kept_but_change_nothing(api, merchant):
    from apps.disputes.models import Dispute

    body = pay(api, make_card(merchant)).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    connector = connector_of(merchant)
    raw, headers = SandboxAdapter().build_webhook(
        type="charge.dispute.created", gateway_reference=charge.gateway_reference, amount=2000,
        data={"dispute": "sbxdp_inbound", "reason": "fraudulent"},
    )  # fmt: skip
    resp = post_callback(connector.public_id, raw, headers)
    assert resp.status_code == 200 and resp.json()["status"] == "processed"
    assert Dispute.objects.get(charge=charge).status == "needs_response"
    raw, headers = SandboxAdapter().build_webhook(
        type="balance.updated", gateway_reference="sbx_x", amount=100
    )
    resp = post_callback(connector.public_id, raw, headers)
    assert resp.status_code == 200 and resp.json()["status"] == "ignored"
    assert list(InboundWebhook.objects.order_by("id").values_list("result", flat=True)) == [
        "applied",
        "ignored:unhandled_type:balance.updated",
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_apply_once(merchant, client_for):
    request_started.disconnect(close_old_connections)
    try:
        api = client_for(merchant)
        body = pay(api, make_card(merchant, "4000000000005126"), amount=5000).json()
        data = api.post("/v1/refunds", {"payment_intent": body["id"]}, format="json").json()
        refund = Refund.objects.get(public_id=data["id"])
        raw, headers = SandboxAdapter().build_webhook(
            type="refund.failed", gateway_reference=refund.gateway_reference, amount=5000
        )
        connector_id = connector_of(merchant).public_id
        barrier = threading.Barrier(4)
        codes = []

        def send():
            barrier.wait()
            try:
                codes.append(post_callback(connector_id, raw, headers).status_code)
            finally:
                from django.db import connection

                connection.close()

        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(codes) == [200, 200, 200, 200]
        refund.refresh_from_db()
        assert refund.status == "failed"
        assert Event.objects.filter(type="refund.failed").count() == 1
        statuses = sorted(InboundWebhook.objects.values_list("status", flat=True))
        assert statuses == ["duplicate", "duplicate", "duplicate", "processed"]
    finally:
        request_started.connect(close_old_connections)
