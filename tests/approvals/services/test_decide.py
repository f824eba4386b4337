"""Maker-checker: refunds above the merchant's threshold wait for a second staff member."""

import pytest

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_create, approval_request_decide
from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.core.errors import InvalidRequestError, PermissionDeniedError, StateConflictError
from apps.refunds import services as refund_services
from apps.refunds.models import Refund
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db


def _request_refund(merchant, intent_id, user, amount=3000):
    return refund_services.refund_create(
        merchant=merchant,
        livemode=False,
        actor=Actor.staff(user),
        payment_intent=intent_id,
        amount=amount,
        reason="requested_by_customer",
        staff_reason="customer returned two books",
    )


@pytest.fixture
def waiting(merchant, threshold, paid, django_capture_on_commit_callbacks):
    support = staff_user("support", "sue")
    intent = paid(amount=5000)
    with django_capture_on_commit_callbacks(execute=True):
        refund = _request_refund(merchant, intent["id"], support)
    assert refund.status == Refund.Status.REQUIRES_APPROVAL
    approval = ApprovalRequest.objects.get(target_type="refund", target_id=refund.public_id)
    return support, refund, approval


def test_refund_above_threshold_opens_an_approval_naming_the_requester(waiting):
    support, _refund, approval = waiting
    assert approval.status == ApprovalRequest.Status.PENDING
    assert (approval.kind, approval.amount, approval.currency) == ("refund", 3000, "USD")
    assert approval.requested_by_user_id == support.pk
    assert approval.reason == "customer returned two books"
    assert AuditEntry.objects.filter(action="approval.requested", object_id=approval.public_id).exists()


def test_an_approval_cannot_be_decided_by_its_requester(waiting):
    support, refund, approval = waiting
    # Even with every permission, the requester cannot approve their own request.
    support.is_superuser = True
    support.save()
    with pytest.raises(PermissionDeniedError) as exc:
        approval_request_decide(approval_id=approval.public_id, approve=True, user=support, reason="mine")
    assert exc.value.code == "approval_self_decision"
    approval.refresh_from_db()
    refund.refresh_from_db()
    assert approval.status == "pending" and refund.status == "requires_approval"


def test_deciding_needs_the_kinds_permission(waiting):
    _, _, approval = waiting
    for role in ("support", "risk", "compliance"):
        with pytest.raises(PermissionDeniedError) as exc:
            approval_request_decide(
                approval_id=approval.public_id, approve=True, user=staff_user(role), reason="ok"
            )
        assert exc.value.code == "approval_permission_missing"


def test_a_reason_is_required(waiting):
    _, _, approval = waiting
    with pytest.raises(InvalidRequestError) as exc:
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=staff_user("finance"), reason=" "
        )
    assert exc.value.param == "reason"


def test_finance_approval_runs_the_refund_through_its_service(waiting, django_capture_on_commit_callbacks):
    _, refund, approval = waiting
    finance = staff_user("finance", "fin")
    with django_capture_on_commit_callbacks(execute=True):
        approval = approval_request_decide(
            approval_id=approval.public_id, approve=True, user=finance, reason="receipt checked"
        )
    approval.refresh_from_db()  # the executor ran when the decision committed
    assert approval.status == ApprovalRequest.Status.EXECUTED, approval.error
    assert approval.decided_by == finance and approval.executed_at is not None
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.decided_by_id == finance.pk
    actions = list(
        AuditEntry.objects.filter(object_id__in=[approval.public_id, refund.public_id])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert "approval.approved" in actions and "refund.approved" in actions and "approval.executed" in actions
    with pytest.raises(StateConflictError) as exc:
        approval_request_decide(approval_id=approval.public_id, approve=True, user=finance, reason="again")
    assert exc.value.code == "approval_not_pending"


def test_rejection_cancels_the_refund(waiting, django_capture_on_commit_callbacks):
    _, refund, approval = waiting
    with django_capture_on_commit_callbacks(execute=True):
        approval = approval_request_decide(
            approval_id=approval.public_id, approve=False, user=staff_user("finance"), reason="no receipt"
        )
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.REJECTED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELED


def test_a_failing_executor_marks_the_request_failed_with_the_error(
    waiting, django_capture_on_commit_callbacks
):
    _, refund, approval = waiting
    # The refund is decided elsewhere first (e.g. canceled by the merchant): the executor fails.
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.CANCELED)
    with django_capture_on_commit_callbacks(execute=True):
        approval = approval_request_decide(
            approval_id=approval.public_id, approve=True, user=staff_user("finance"), reason="ok"
        )
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.FAILED
    assert "refund_unexpected_state" in approval.error
    assert AuditEntry.objects.filter(action="approval.failed", object_id=approval.public_id).exists()


def test_one_pending_request_per_target(merchant):
    kwargs = dict(
        kind="refund",
        merchant=merchant,
        livemode=False,
        target_type="refund",
        target_id="re_123",
        amount=10,
        currency="usd",
        reason="why",
        requested_by=Actor.system("tests"),
    )
    approval_request_create(**kwargs)
    with pytest.raises(StateConflictError) as exc:
        approval_request_create(**kwargs)
    assert exc.value.code == "approval_already_pending"
    with pytest.raises(InvalidRequestError):
        approval_request_create(**{**kwargs, "kind": "nonsense", "target_id": "re_9"})
    with pytest.raises(InvalidRequestError):
        approval_request_create(**{**kwargs, "reason": "", "target_id": "re_9"})


def test_refund_canceled_elsewhere_cancels_its_pending_approval(waiting, django_capture_on_commit_callbacks):
    _, refund, approval = waiting
    with django_capture_on_commit_callbacks(execute=True):
        refund_services.refund_cancel(
            refund_id=refund.pk, actor=Actor.system("merchant"), reason="changed mind"
        )
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.CANCELED


def test_refund_create_opens_its_approval_in_the_same_transaction(merchant, threshold, paid):
    """No on-commit bridge: the request exists as soon as refund_create returns, callbacks not run."""
    support = staff_user("support", "sam")
    refund = _request_refund(merchant, paid(amount=5000)["id"], support)
    approval = ApprovalRequest.objects.get(target_type="refund", target_id=refund.public_id)
    assert (approval.status, approval.requested_by_user_id) == (ApprovalRequest.Status.PENDING, support.pk)
    assert approval.payload == {"payment_intent_id": refund.payment_intent.public_id,
                                "charge_id": refund.charge.public_id}  # fmt: skip


def test_refund_canceled_while_waiting_cancels_its_approval_in_the_same_transaction(
    merchant, threshold, paid
):
    refund = _request_refund(merchant, paid(amount=5000)["id"], staff_user("support", "sam"))
    refund_services.refund_cancel(refund_id=refund.pk, actor=Actor.system("merchant"), reason="changed mind")
    approval = ApprovalRequest.objects.get(target_id=refund.public_id)
    assert (approval.status, approval.decision_reason) == (ApprovalRequest.Status.CANCELED, "changed mind")
