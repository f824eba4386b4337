"""The other approval kinds run through their owners' services: payouts and balance adjustments."""

import pytest

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.services import Actor
from apps.core.errors import PermissionDeniedError
from apps.ledger.models import JournalEntry
from apps.ledger.services import ledger_adjustment_request
from apps.payouts import services as payout_services
from tests.admin.staff import staff_user
from tests.payouts.conftest import fund, us_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(merchant):
    fund(merchant, 100_000)
    us_bank(merchant)
    merchant.settings.payout_approval_threshold = 20_000
    merchant.settings.save()
    return merchant


def test_large_payout_is_released_by_a_finance_approver(funded, django_capture_on_commit_callbacks):
    payout = payout_services.payout_create(
        merchant=funded, livemode=False, amount=50_000, currency="USD", actor=Actor.system("schedule")
    )
    approval = ApprovalRequest.objects.get(kind="payout", target_id=payout.public_id)
    with pytest.raises(PermissionDeniedError):
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=staff_user("support"), reason="x"
        )
    finance = staff_user("finance", "fin")
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=finance, reason="known merchant"
        )
    approval.refresh_from_db()
    payout.refresh_from_db()
    assert approval.status == "executed", approval.error
    assert payout.approval == "approved" and payout.decided_by == finance


def test_rejected_payout_returns_the_funds(funded, django_capture_on_commit_callbacks):
    payout = payout_services.payout_create(
        merchant=funded, livemode=False, amount=30_000, currency="USD", actor=Actor.system("schedule")
    )
    approval = ApprovalRequest.objects.get(kind="payout", target_id=payout.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(
            approval_id=approval.public_id, approve=False, user=staff_user("finance"), reason="no"
        )
    payout.refresh_from_db()
    assert (payout.status, payout.approval) == ("canceled", "rejected")


def test_balance_adjustment_needs_a_second_finance_member(merchant, django_capture_on_commit_callbacks):
    maker = staff_user("finance", "maker")
    approval = ledger_adjustment_request(
        merchant=merchant,
        livemode=False,
        currency="USD",
        amount=1234,
        reason="goodwill credit, ticket 42",
        actor=Actor.staff(maker),
        requested_by_user=maker,
    )
    with pytest.raises(PermissionDeniedError):
        approval_request_decide(approval_id=approval.public_id, approve=True, user=maker, reason="mine")
    checker = staff_user("finance", "checker")
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(approval_id=approval.public_id, approve=True, user=checker, reason="agreed")
    approval.refresh_from_db()
    assert approval.status == "executed", approval.error
    entry = JournalEntry.objects.get(source_id=approval.public_id)
    assert entry.kind == JournalEntry.Kind.ADJUSTMENT
