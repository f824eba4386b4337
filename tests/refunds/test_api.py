from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.connectors.models import Connector
from apps.connectors.sandbox import SandboxAdapter
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.intents.models import Charge, PaymentIntent
from apps.refunds import services
from apps.refunds.models import Refund
from apps.webhooks.models import Event
from tests.intents.helpers import pay


@pytest.fixture
def paid(api, card):
    def build(number="4242424242424242", amount=5000):
        return pay(api, card(number), amount=amount).json()

    return build


def refund(api, **body):
    return api.post("/v1/refunds", body, format="json")


def test_full_refund_by_default(api, paid):
    body = paid()
    resp = refund(api, payment_intent=body["id"], reason="requested_by_customer", metadata={"ticket": "T-1"})
    assert resp.status_code == 200, resp.json()
    data = resp.json()
    assert (data["status"], data["amount"], data["charge"]) == ("succeeded", 5000, body["latest_charge"])
    assert data["gateway_reference"].startswith("sbxre_")
    intent = api.get(f"/v1/payment_intents/{body['id']}").json()
    assert intent["amount_refunded"] == 5000
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    assert charge["refunded"] is True and charge["amount_refunded"] == 5000
    types = set(Event.objects.values_list("type", flat=True))
    assert {"refund.created", "refund.updated", "charge.refunded"} <= types
    assert AuditEntry.objects.filter(object_id=data["id"], action="refund.succeeded").exists()


def test_partial_refunds_up_to_the_captured_amount(api, paid):
    body = paid()
    assert refund(api, payment_intent=body["id"], amount=2000).json()["status"] == "succeeded"
    assert refund(api, charge=body["latest_charge"], amount=3000).json()["status"] == "succeeded"
    resp = refund(api, payment_intent=body["id"], amount=1)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "charge_already_refunded"
    listed = api.get("/v1/refunds", {"payment_intent": body["id"]}).json()["data"]
    assert [r["amount"] for r in listed] == [3000, 2000]
    assert len(api.get("/v1/refunds", {"charge": body["latest_charge"]}).json()["data"]) == 2


def test_refund_of_a_partially_captured_intent_is_bounded_by_the_capture(api, card):
    body = pay(api, card(), capture_method="manual", amount=5000).json()
    api.post(f"/v1/payment_intents/{body['id']}/capture", {"amount_to_capture": 1200}, format="json")
    resp = refund(api, payment_intent=body["id"], amount=1201)
    assert resp.json()["error"]["code"] == "amount_too_large"
    assert refund(api, payment_intent=body["id"]).json()["amount"] == 1200


def test_retrieve_update_and_tenant_isolation(api, api_other, paid):
    data = refund(api, payment_intent=paid()["id"], amount=100).json()
    assert api.get(f"/v1/refunds/{data['id']}").json()["amount"] == 100
    resp = api.post(f"/v1/refunds/{data['id']}", {"metadata": {"note": "x"}}, format="json")
    assert resp.json()["metadata"] == {"note": "x"}
    assert api_other.get(f"/v1/refunds/{data['id']}").status_code == 404
    assert api_other.get("/v1/refunds").json()["data"] == []


def test_refund_fails_asynchronously_for_5126(api, paid):
    body = paid("4000000000005126")
    data = refund(api, payment_intent=body["id"], amount=2000).json()
    assert data["status"] == "pending"
    assert services.refunds_recheck(older_than=timedelta(0)) == 1
    failed = api.get(f"/v1/refunds/{data['id']}").json()
    assert failed["status"] == "failed" and failed["failure_reason"] == "refund_failed"
    assert Event.objects.filter(type="refund.failed").count() == 1
    # a failed refund no longer counts: the full amount can be refunded again (it fails again later)
    assert refund(api, payment_intent=body["id"], amount=5000).json()["status"] == "pending"
    assert PaymentIntent.objects.get(public_id=body["id"]).amount_refunded == 0


def test_inbound_refund_event_applies_once(api, paid, merchant):
    body = paid("4000000000005126")
    data = refund(api, payment_intent=body["id"]).json()
    re = Refund.objects.get(public_id=data["id"])
    connector = Connector.objects.get(merchant=merchant, code="sandbox")
    adapter = SandboxAdapter()
    raw, headers = adapter.build_webhook(
        type="refund.failed", gateway_reference=re.gateway_reference, amount=5000
    )
    event = adapter.parse_inbound_webhook(body=raw, headers=headers)
    assert services.refund_apply_inbound_event(connector=connector, event=event) == "applied"
    assert services.refund_apply_inbound_event(connector=connector, event=event) == "ignored"
    assert Refund.objects.get(pk=re.pk).status == "failed"


def test_cancel_a_pending_refund_at_the_provider(api, paid):
    body = paid("4000000000005126")
    data = refund(api, payment_intent=body["id"]).json()
    resp = api.post(f"/v1/refunds/{data['id']}/cancel", {}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "canceled"
    # canceled refunds release the amount; the janitor leaves it alone
    services.refunds_recheck(older_than=timedelta(0))
    assert Refund.objects.get(public_id=data["id"]).status == "canceled"


def test_cancel_a_succeeded_refund_is_refused(api, paid):
    data = refund(api, payment_intent=paid()["id"]).json()
    resp = api.post(f"/v1/refunds/{data['id']}/cancel", {}, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "refund_unexpected_state"


@pytest.fixture
def threshold(merchant):
    merchant.settings.refund_approval_threshold = 1000
    merchant.settings.save()


@pytest.fixture
def lead(db):
    return get_user_model().objects.create_user("lead", password="x")


def test_refund_above_threshold_waits_for_approval_then_is_sent(api, paid, threshold, lead):
    body = paid()
    small = refund(api, payment_intent=body["id"], amount=1000).json()
    assert small["status"] == "succeeded"
    big = refund(api, payment_intent=body["id"], amount=3000).json()
    assert big["status"] == "requires_approval"
    # it reserves the amount while it waits
    assert refund(api, payment_intent=body["id"], amount=1001).json()["error"]["code"] == "amount_too_large"
    with pytest.raises(InvalidRequestError):
        services.refund_approve(refund_id=big["id"], actor=Actor.staff(lead), reason="")
    done = services.refund_approve(
        refund_id=big["id"], actor=Actor.staff(lead), reason="customer returned goods"
    )
    assert done.status == "succeeded"
    assert done.decided_by == lead
    entry = AuditEntry.objects.get(object_id=big["id"], action="refund.approved")
    assert entry.reason == "customer returned goods" and entry.actor_label == "lead"
    with pytest.raises(StateConflictError):
        services.refund_reject(refund_id=big["id"], actor=Actor.staff(lead), reason="late")


def test_rejected_refund_is_canceled_and_releases_the_amount(api, paid, threshold, lead):
    body = paid()
    big = refund(api, payment_intent=body["id"], amount=4000).json()
    rejected = services.refund_reject(refund_id=big["id"], actor=Actor.staff(lead), reason="fraud suspicion")
    assert rejected.status == "canceled" and rejected.failure_reason == "rejected"
    assert refund(api, payment_intent=body["id"], amount=900).json()["status"] == "succeeded"
    assert Charge.objects.get(public_id=body["latest_charge"]).amount_refunded == 900


def test_cancel_while_waiting_for_approval(api, paid, threshold):
    big = refund(api, payment_intent=paid()["id"], amount=4000).json()
    resp = api.post(f"/v1/refunds/{big['id']}/cancel", {}, format="json")
    assert resp.json()["status"] == "canceled"


def test_refund_provider_outage_is_retried_by_the_janitor(api, card):
    body = pay(api, card(), metadata={"sandbox_fault": "refund:http_503"}).json()
    data = refund(api, payment_intent=body["id"]).json()
    assert data["status"] == "pending"
    PaymentIntent.objects.filter(public_id=body["id"]).update(metadata={})
    assert services.refunds_recheck(older_than=timedelta(0)) == 1
    assert Refund.objects.get(public_id=data["id"]).status == "succeeded"
