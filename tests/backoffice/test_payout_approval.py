"""Regression (issue 10 §10): approving a payout from its admin page decides the payout's
maker-checker request (never the payout directly), so request and payout agree and the approved
action runs once; the queue then refuses a second decision."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.core.errors import StateConflictError
from apps.core.ids import generate_id
from apps.ledger.services import ledger_post_capture, ledger_settle_due
from apps.payouts.models import Payout
from apps.payouts.services import bank_account_create, payout_create
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")


@pytest.fixture
def big_payout(merchant):
    ledger_post_capture(
        merchant=merchant, livemode=False, charge_id=generate_id("ch"), amount=50_000, currency="USD",
        connector_code="sandbox",
    )  # fmt: skip
    ledger_settle_due(
        merchant=merchant, livemode=False, currency="USD", now=timezone.now() + timedelta(days=30)
    )
    bank_account_create(
        merchant=merchant, livemode=False, currency="USD", routing_number="110000000",
        account_number="000123456789", account_holder_name="Acme", default_for_currency=True, actor=ACTOR,
    )  # fmt: skip
    merchant.settings.payout_approval_threshold = 10_000
    merchant.settings.save()
    payout = payout_create(merchant=merchant, livemode=False, amount=40_000, currency="USD", actor=ACTOR)
    assert payout.approval == Payout.Approval.REQUIRED and payout.approval_request_id
    return payout


def test_approving_from_the_payout_page_decides_the_approval_request(
    client, big_payout, django_capture_on_commit_callbacks
):
    finance = staff_user("finance", "fiona")
    client.force_login(finance)
    changelist = client.get(reverse("admin:payouts_payout_changelist")).content.decode()
    approve = reverse("admin:payouts_payout_act", args=[big_payout.pk, "approve"])
    assert approve in changelist
    assert client.get(approve).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(approve, {"reason": "known merchant, invoice checked"})
    assert response.status_code == 302
    approval = ApprovalRequest.objects.get(public_id=big_payout.approval_request_id)
    assert approval.status == ApprovalRequest.Status.EXECUTED
    assert (approval.decided_by, approval.decision_reason) == (finance, "known merchant, invoice checked")
    big_payout.refresh_from_db()
    assert (big_payout.approval, big_payout.status) == (Payout.Approval.APPROVED, Payout.Status.PENDING)
    # The message says what the decision left (the executor runs once the decision commits).
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == f"{big_payout.public_id}: approval request {approval.public_id} is now approved."
    assert AuditEntry.objects.filter(action="payout.approved", object_id=big_payout.public_id).count() == 1
    assert AuditEntry.objects.filter(action="approval.executed", object_id=approval.public_id).count() == 1

    # Deciding it again, from the queue or the payout page, is refused and changes nothing.
    other = staff_user("finance", "fred")
    client.force_login(other)
    decide = reverse("admin:approvals_approvalrequest_decide", args=[approval.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(decide, {"decision": "approve", "reason": "again"}).status_code == 403
        with pytest.raises(StateConflictError):
            approval_request_decide(approval_id=approval.public_id, approve=True, user=other, reason="again")
        again = client.post(approve, {"reason": "again"})
    assert again.status_code == 200 and "no pending approval request" in again.content.decode()
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED and approval.error == ""
    assert AuditEntry.objects.filter(action="payout.approved", object_id=big_payout.public_id).count() == 1


def test_rejecting_from_the_payout_page_rejects_the_request_and_returns_the_funds(
    client, big_payout, django_capture_on_commit_callbacks
):
    client.force_login(staff_user("finance", "fiona"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:payouts_payout_act", args=[big_payout.pk, "reject"]), {"reason": "unknown account"}
        )
    assert response.status_code == 302
    approval = ApprovalRequest.objects.get(public_id=big_payout.approval_request_id)
    assert approval.status == ApprovalRequest.Status.REJECTED
    big_payout.refresh_from_db()
    assert (big_payout.approval, big_payout.status) == (Payout.Approval.REJECTED, Payout.Status.CANCELED)


def test_the_review_page_shows_the_payout_destination_and_the_balance_now(client, big_payout):
    approval = ApprovalRequest.objects.get(public_id=big_payout.approval_request_id)
    client.force_login(staff_user("finance", "fiona"))
    page = client.get(reverse("admin:approvals_approvalrequest_decide", args=[approval.pk])).content.decode()
    summary = page.split('id="approval-summary"')[1].split("</dl>")[0]
    assert big_payout.public_id in summary and f"••••{big_payout.destination.last4}" in summary
    assert "Available now" in summary
