from datetime import timedelta

from apps.audit.models import AuditEntry
from apps.intents.models import PaymentIntent
from apps.refunds import services
from apps.refunds.models import Refund
from apps.webhooks.models import Event
from tests.intents.helpers import pay


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
