"""The decided action runs in `approval_execute_task` once the decision commits; the sweeper
(`approvals_resume_task`) finishes requests a crash left `approved`, exactly once."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.approvals.tasks import approval_execute_task, approvals_resume_task
from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.refunds import services as refund_services
from apps.refunds.errors import RefundNotAwaitingApproval
from apps.refunds.models import Refund
from config.celery import app as celery_app
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(merchant, threshold, paid, django_capture_on_commit_callbacks):
    intent = paid(amount=5000)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_services.refund_create(
            merchant=merchant,
            livemode=False,
            actor=Actor.staff(staff_user("support", "sue")),
            payment_intent=intent["id"],
            amount=3000,
            reason="requested_by_customer",
            staff_reason="customer returned two books",
        )
    return refund, ApprovalRequest.objects.get(target_type="refund", target_id=refund.public_id)


def _decide_and_crash(approval, django_capture_on_commit_callbacks, approve=True):
    """The decision commits, but its on-commit enqueue never happens (the process died)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approval_request_decide(
            approval_id=approval.public_id, approve=approve, user=staff_user("finance", "fin"), reason="ok"
        )
    assert len(callbacks) == 1
    ApprovalRequest.objects.filter(pk=approval.pk).update(decided_at=timezone.now() - timedelta(minutes=5))


def _approved_count(refund):
    return AuditEntry.objects.filter(action="refund.approved", object_id=refund.public_id).count()


def test_a_crash_between_decision_and_execution_is_finished_once_by_the_sweeper(
    waiting, django_capture_on_commit_callbacks
):
    refund, approval = waiting
    _decide_and_crash(approval, django_capture_on_commit_callbacks)
    approval.refresh_from_db()
    refund.refresh_from_db()
    assert (approval.status, refund.status) == (
        ApprovalRequest.Status.APPROVED,
        Refund.Status.REQUIRES_APPROVAL,
    )

    assert approvals_resume_task.delay().get() == 1
    approval.refresh_from_db()
    refund.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED, approval.error
    assert refund.status == Refund.Status.SUCCEEDED
    assert _approved_count(refund) == 1

    assert approvals_resume_task.delay().get() == 0
    approval_execute_task.delay(approval.public_id)  # a redelivered message is a no-op too
    assert _approved_count(refund) == 1
    assert AuditEntry.objects.filter(action="approval.executed", object_id=approval.public_id).count() == 1


def test_a_worker_dying_after_its_claim_is_resumed_once_its_claim_goes_stale(
    waiting, django_capture_on_commit_callbacks
):
    refund, approval = waiting
    _decide_and_crash(approval, django_capture_on_commit_callbacks)
    claimed = timezone.now() - timedelta(minutes=1)
    ApprovalRequest.objects.filter(pk=approval.pk).update(execution_started_at=claimed)
    assert approvals_resume_task.delay().get() == 0  # a live claim: another worker runs it
    ApprovalRequest.objects.filter(pk=approval.pk).update(execution_started_at=claimed - timedelta(hours=1))
    assert approvals_resume_task.delay().get() == 1
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED, approval.error
    assert _approved_count(refund) == 1


def test_a_worker_dying_after_the_refund_was_sent_leaves_the_approval_executed_not_failed(
    waiting, django_capture_on_commit_callbacks
):
    """The owner's change committed (the refund was approved and sent), then the worker died
    before marking the approval: the re-run must not report a failure for money that moved."""
    refund, approval = waiting
    _decide_and_crash(approval, django_capture_on_commit_callbacks)
    approval.refresh_from_db()
    registry.get("refund").execute(approval, Actor.staff(approval.decided_by))  # the dead worker's run
    stale = timezone.now() - timedelta(hours=1)
    ApprovalRequest.objects.filter(pk=approval.pk).update(execution_started_at=stale)

    assert approvals_resume_task.delay().get() == 1
    approval.refresh_from_db()
    refund.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED, approval.error
    assert refund.status == Refund.Status.SUCCEEDED
    assert _approved_count(refund) == 1


def test_a_rejected_refund_is_still_a_failure_for_a_stray_approval_run(
    waiting, django_capture_on_commit_callbacks
):
    refund, approval = waiting
    refund_services.refund_reject(refund_id=refund.public_id, actor=Actor.system("test"), reason="duplicate")
    with pytest.raises(RefundNotAwaitingApproval):
        registry.get("refund").execute(approval, Actor.system("test"))


def test_the_sweeper_leaves_fresh_decisions_to_their_own_task(waiting, django_capture_on_commit_callbacks):
    refund, approval = waiting
    with django_capture_on_commit_callbacks(execute=False):
        approval_request_decide(
            approval_id=approval.public_id, approve=True, user=staff_user("finance", "fin"), reason="ok"
        )
    assert approvals_resume_task.delay().get() == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUIRES_APPROVAL


def test_the_execute_task_retries_transient_errors_and_runs_once(
    waiting, monkeypatch, django_capture_on_commit_callbacks
):
    refund, approval = waiting
    kind = registry.get("refund")
    calls = []

    def flaky(approval, actor):
        calls.append(approval.public_id)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        kind.execute(approval, actor)

    monkeypatch.setitem(
        registry._KINDS, "refund", registry.ApprovalKind(**{**kind.__dict__, "execute": flaky})
    )
    # Propagating eager errors would raise celery's Retry instead of re-running the task in-process.
    celery_app.conf.task_eager_propagates = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            approval_request_decide(
                approval_id=approval.public_id, approve=True, user=staff_user("finance", "fin"), reason="ok"
            )
    finally:
        celery_app.conf.task_eager_propagates = True
    approval.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED, approval.error
    assert len(calls) == 3 and _approved_count(refund) == 1


def test_a_rejection_runs_its_hook_once(waiting, django_capture_on_commit_callbacks):
    refund, approval = waiting
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_decide(
            approval_id=approval.public_id, approve=False, user=staff_user("finance", "fin"), reason="no"
        )
    approval_execute_task.delay(approval.public_id)  # a redelivered message
    approval.refresh_from_db()
    refund.refresh_from_db()
    assert (approval.status, approval.error, refund.status) == ("rejected", "", Refund.Status.CANCELED)
