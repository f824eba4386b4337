"""GET/POST /v1/disputes…: Stripe's shape, staging and the single submission, acceptance, and
tenant isolation."""

import pytest

from apps.disputes.models import Dispute
from apps.webhooks.models import Event

pytestmark = pytest.mark.django_db


def _error(resp) -> tuple[int, str, str | None]:
    error = resp.json()["error"]
    return resp.status_code, error["code"], error.get("param")


def test_list_and_retrieve_in_stripes_shape_with_filters(api, disputed):
    data = api.get(f"/v1/disputes/{disputed.public_id}").json()
    assert data["object"] == "dispute" and data["id"] == disputed.public_id
    assert (data["amount"], data["currency"], data["status"], data["reason"]) == (
        2000,
        "usd",
        "needs_response",
        "fraudulent",
    )
    assert (
        data["charge"] == disputed.charge.public_id
        and data["payment_intent"] == disputed.payment_intent.public_id
    )
    assert data["evidence_details"] == {
        "due_by": int(disputed.due_by.timestamp()), "has_evidence": False, "past_due": False, "submission_count": 0,
    }  # fmt: skip
    assert set(data["evidence"]) >= {"customer_name", "uncategorized_text", "receipt"}
    assert [bt["type"] for bt in data["balance_transactions"]] == ["dispute"]
    assert data["balance_transactions"][0]["net"] == -3500 and data["is_charge_refundable"] is False
    listed = api.get("/v1/disputes").json()
    assert listed["object"] == "list" and [d["id"] for d in listed["data"]] == [disputed.public_id]
    by_charge = api.get("/v1/disputes", {"charge": disputed.charge.public_id}).json()["data"]
    assert [d["id"] for d in by_charge] == [disputed.public_id]
    assert api.get("/v1/disputes", {"charge": "ch_other"}).json()["data"] == []
    assert api.get("/v1/disputes", {"payment_intent": "pi_other"}).json()["data"] == []
    after = int(disputed.created_at.timestamp()) + 3600
    assert api.get("/v1/disputes", {"created[gte]": after}).json()["data"] == []
    assert len(api.get("/v1/disputes", {"created[lt]": after}).json()["data"]) == 1
    assert _error(api.get("/v1/disputes", {"status": "nope"})) == (400, "parameter_invalid", "status")
    due = int(disputed.due_by.timestamp())
    assert [d["id"] for d in api.get("/v1/disputes", {"due_before": due + 1}).json()["data"]] == [
        disputed.public_id
    ]
    assert api.get("/v1/disputes", {"due_before": due}).json()["data"] == []
    assert _error(api.get("/v1/disputes", {"due_before": "soon"})) == (
        400,
        "parameter_invalid_integer",
        "due_before",
    )


def test_another_merchants_dispute_answers_404_on_every_endpoint(api_other, disputed):
    path = f"/v1/disputes/{disputed.public_id}"
    assert api_other.get(path).status_code == 404
    assert api_other.post(path, {"evidence": {"customer_name": "x"}}, format="json").status_code == 404
    assert api_other.post(f"{path}/close", {}, format="json").status_code == 404
    assert api_other.get("/v1/disputes").json()["data"] == []
    disputed.refresh_from_db()
    assert disputed.status == "needs_response" and disputed.evidence == {}


def test_staging_keeps_other_fields_then_one_submission(api, disputed):
    path = f"/v1/disputes/{disputed.public_id}"
    first = api.post(path, {"evidence": {"customer_name": "Ann", "product_description": "A book"},
                            "submit": False, "metadata": {"case": "7"}}, format="json")  # fmt: skip
    assert first.status_code == 200, first.json()
    staged = api.post(path, {"evidence": {"customer_name": "Ann Lee"}, "submit": False}, format="json").json()
    assert (
        staged["evidence"]["customer_name"] == "Ann Lee"
        and staged["evidence"]["product_description"] == "A book"
    )
    assert staged["status"] == "needs_response" and staged["evidence_details"]["has_evidence"] is True
    assert staged["evidence_details"]["submission_count"] == 0 and staged["metadata"] == {"case": "7"}
    submitted = api.post(path, {"evidence": {"uncategorized_text": "winning_evidence"}}, format="json").json()
    assert submitted["status"] == "under_review" and submitted["evidence_details"]["submission_count"] == 1
    assert submitted["evidence"]["customer_name"] == "Ann Lee"
    again = api.post(path, {"evidence": {"customer_name": "Bob"}, "submit": False}, format="json")
    assert _error(again)[:2] == (400, "dispute_already_submitted")
    assert _error(api.post(path, {}, format="json"))[:2] == (400, "dispute_already_submitted")
    # Metadata stays editable.
    assert api.post(path, {"metadata": {"case": "8"}, "submit": False}, format="json").json()["metadata"] == {
        "case": "8"
    }
    disputed.refresh_from_db()
    assert disputed.evidence["customer_name"] == "Ann Lee" and disputed.submission_count == 1
    updates = Event.objects.filter(type="charge.dispute.updated", data__object__id=disputed.public_id)
    assert updates.filter(previous_attributes__status="needs_response").count() == 1


def test_evidence_is_checked_by_name_type_and_size(api, disputed):
    path = f"/v1/disputes/{disputed.public_id}"
    unknown = api.post(path, {"evidence": {"favourite_colour": "red"}}, format="json")
    assert _error(unknown) == (400, "parameter_unknown", "evidence[favourite_colour]")
    not_text = api.post(path, {"evidence": {"customer_name": {"a": 1}}}, format="json")
    assert _error(not_text) == (400, "parameter_invalid", "evidence[customer_name]")
    file_field = api.post(path, {"evidence": {"receipt": "file_123"}}, format="json")
    assert _error(file_field) == (400, "resource_missing", "evidence[receipt]")
    too_long = api.post(path, {"evidence": {"uncategorized_text": "x" * 100_000, "access_activity_log": "y" * 50_001}},
                        format="json")  # fmt: skip
    assert _error(too_long) == (400, "dispute_evidence_too_long", "evidence")
    assert _error(api.post(path, {"bogus": 1}, format="json"))[:2] == (400, "parameter_unknown")
    disputed.refresh_from_db()
    assert disputed.evidence == {} and disputed.status == "needs_response"


def test_close_accepts_the_dispute_once(api, disputed):
    path = f"/v1/disputes/{disputed.public_id}"
    closed = api.post(f"{path}/close", {}, format="json").json()
    assert closed["status"] == "lost"
    assert [bt["type"] for bt in closed["balance_transactions"]] == ["dispute"]  # nothing returned
    assert _error(api.post(f"{path}/close", {}, format="json"))[:2] == (400, "dispute_already_closed")
    assert _error(api.post(path, {"evidence": {"customer_name": "x"}}, format="json"))[:2] == (
        400, "dispute_already_closed",
    )  # fmt: skip
    assert (
        Event.objects.filter(type="charge.dispute.closed", data__object__id=disputed.public_id).count() == 1
    )
    assert Dispute.objects.get(pk=disputed.pk).closed_at is not None


def test_evidence_after_the_deadline_is_refused(api, disputed):
    import datetime as dt

    from django.utils import timezone

    Dispute.objects.filter(pk=disputed.pk).update(due_by=timezone.now() - dt.timedelta(minutes=1))
    resp = api.post(f"/v1/disputes/{disputed.public_id}", {"evidence": {"customer_name": "x"}}, format="json")
    assert _error(resp)[:2] == (400, "dispute_evidence_past_due")


def test_listing_disputes_reads_their_balance_transactions_once_per_page(api, merchant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.connectors.sandbox import SandboxAdapter
    from apps.intents.models import Charge
    from tests.disputes.conftest import connector_of
    from tests.intents.helpers import make_card, pay
    from tests.webhooks.test_api_inbound import post_callback

    def dispute_one():
        body = pay(api, make_card(merchant, "4000000000000259")).json()
        charge = Charge.objects.get(public_id=body["latest_charge"])
        [(raw, headers)] = SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference)
        assert post_callback(connector_of(merchant).public_id, raw, headers).status_code == 200

    def list_queries() -> tuple[int, list]:
        with CaptureQueriesContext(connection) as captured:
            data = api.get("/v1/disputes").json()["data"]
        return len(captured.captured_queries), data

    dispute_one()
    one, _ = list_queries()
    dispute_one()
    dispute_one()
    three, data = list_queries()
    assert len(data) == 3 and all(d["balance_transactions"][0]["type"] == "dispute" for d in data)
    assert three == one
