"""Refunds above the merchant's threshold: approve, reject, cancel while waiting (maker-checker)."""

import pytest
from django.contrib.auth import get_user_model

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.intents.models import Charge
from apps.refunds import services
from tests.refunds.test_api import refund


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
