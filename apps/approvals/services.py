"""Maker-checker: create approval requests, decide them, run the decided action exactly once.

The decision commits first; `approval_execute_task` then runs the owner's action (enqueued on
commit), and the `approvals_resume_task` sweeper finishes requests a crash left `approved`."""

import logging
from datetime import timedelta

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.errors import ApplicationError, InvalidRequestError, NotFoundError

from . import registry
from .errors import (
    ApprovalAlreadyPending,
    ApprovalNotPending,
    ApprovalPermissionMissing,
    ApprovalSelfDecision,
)
from .models import ApprovalRequest
from .tasks import approval_execute_task

logger = logging.getLogger(__name__)

# Errors worth retrying: the database went away, not the action failing on its merits.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# The sweeper leaves fresh decisions to their own task...
RESUME_GRACE = timedelta(minutes=2)
# ...and takes over a claim no worker finished in this time (its worker died).
STALE_CLAIM_AFTER = timedelta(minutes=15)


def _snapshot(approval: ApprovalRequest) -> dict:
    return {
        "kind": approval.kind,
        "status": approval.status,
        "target": f"{approval.target_type}:{approval.target_id}",
        "amount": approval.amount,
        "currency": approval.currency,
    }


def approval_request_create(
    *,
    kind: str,
    merchant,
    livemode: bool,
    target_type: str,
    target_id: str,
    amount: int | None = None,
    currency: str = "",
    reason: str,
    requested_by: Actor,
    requested_by_user=None,
    payload: dict | None = None,
) -> ApprovalRequest:
    """Record that `target` waits for a second person. Call inside the transaction that parks the
    target in its waiting state (e.g. refund `requires_approval`)."""
    registry.get(kind)
    if not (reason or "").strip():
        raise InvalidRequestError("A reason is required to request an approval.", param="reason")
    if requested_by_user is None and requested_by.type == "staff" and requested_by.id:
        requested_by_user_id = int(requested_by.id)
    else:
        requested_by_user_id = requested_by_user.pk if requested_by_user is not None else None
    try:
        with transaction.atomic():
            approval = ApprovalRequest.objects.create(
                kind=kind,
                merchant=merchant,
                livemode=livemode,
                target_type=target_type,
                target_id=target_id,
                amount=amount,
                currency=(currency or "").upper(),
                reason=reason.strip(),
                payload=payload or {},
                requested_by_label=requested_by.label,
                requested_by_actor=f"{requested_by.type}:{requested_by.id}",
                requested_by_user_id=requested_by_user_id,
            )
    except IntegrityError:
        raise ApprovalAlreadyPending(target_type=target_type, target_id=target_id) from None
    audit_record(
        actor=requested_by,
        action="approval.requested",
        merchant=merchant,
        obj=approval,
        after=_snapshot(approval),
        reason=approval.reason,
    )
    return approval


def _is_requester(approval: ApprovalRequest, user) -> bool:
    return approval.requested_by_user_id == user.pk or approval.requested_by_actor == f"staff:{user.pk}"


def approval_can_decide(approval: ApprovalRequest, user) -> tuple[bool, str]:
    """Whether `user` may decide `approval` now, and why not (for the admin's buttons)."""
    if approval.status != ApprovalRequest.Status.PENDING:
        return False, f"This request is {approval.status}."
    if _is_requester(approval, user):
        return False, "You asked for this; another staff member must decide it."
    kind = registry.get(approval.kind)
    if not (user.has_perm("approvals.decide_approvalrequest") and user.has_perm(kind.permission)):
        return False, f"Deciding {approval.kind} approvals needs the {kind.permission} permission."
    return True, ""


def approval_request_decide(*, approval_id: str, approve: bool, user, reason: str) -> ApprovalRequest:
    """Approve or reject. Refuses the requester and users without the kind's permission; the row
    lock makes a concurrent second decision fail, so the approved action runs once. The action runs
    in `approval_execute_task`, enqueued once the decision commits (it may call a provider); the row
    is then marked executed or failed with the error."""
    if not (reason or "").strip():
        raise InvalidRequestError("A reason is required for the decision.", param="reason")
    with transaction.atomic():
        approval = (
            ApprovalRequest.objects.select_for_update()
            .select_related("merchant")
            .filter(public_id=approval_id)
            .first()
        )
        if approval is None:
            raise NotFoundError("approval request", approval_id)
        if approval.status != ApprovalRequest.Status.PENDING:
            raise ApprovalNotPending(status=approval.status)
        if _is_requester(approval, user):
            raise ApprovalSelfDecision()
        allowed, why = approval_can_decide(approval, user)
        if not allowed:
            raise ApprovalPermissionMissing(why)
        before = _snapshot(approval)
        approval.status = ApprovalRequest.Status.APPROVED if approve else ApprovalRequest.Status.REJECTED
        approval.decided_by = user
        approval.decided_at = timezone.now()
        approval.decision_reason = reason.strip()
        approval.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
        audit_record(
            actor=Actor.staff(user),
            action="approval.approved" if approve else "approval.rejected",
            merchant=approval.merchant,
            obj=approval,
            before=before,
            after=_snapshot(approval),
            reason=approval.decision_reason,
        )
        public_id = approval.public_id
        transaction.on_commit(lambda: approval_execute_task.delay(public_id))
    approval.refresh_from_db()
    return approval


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _stale_before():
    return timezone.now() - STALE_CLAIM_AFTER


def _claim(approval_id: str) -> ApprovalRequest | None:
    """Marks the decided action as started, under the row lock: of two workers holding the same id
    (the on-commit task and the sweeper, or a redelivered message), only one gets the request."""
    with transaction.atomic():
        approval = (
            ApprovalRequest.objects.select_for_update(of=("self",))
            .select_related("merchant", "decided_by")
            .filter(public_id=approval_id)
            .first()
        )
        if approval is None or approval.decided_by is None:
            return None
        if approval.status == ApprovalRequest.Status.REJECTED:
            if approval.execution_started_at is not None:
                return None  # the reject hook ran (or runs): rejections are not resumed
        elif approval.status != ApprovalRequest.Status.APPROVED:
            return None
        elif approval.execution_started_at is not None and approval.execution_started_at > _stale_before():
            return None  # another worker is running it
        approval.execution_started_at = timezone.now()
        approval.save(update_fields=["execution_started_at", "updated_at"])
    return approval


def _release(approval: ApprovalRequest) -> None:
    """Gives the claim back after a transient error, so a retry (or the sweeper) can take it; a
    newer claim (ours went stale and was taken over) is left alone."""
    ApprovalRequest.objects.filter(pk=approval.pk, execution_started_at=approval.execution_started_at).update(
        execution_started_at=None
    )


def approval_request_execute(*, approval_id: str) -> ApprovalRequest | None:
    """Runs the decided action of a request once: the owner's `execute` for an approval, its
    `reject` hook for a rejection. Called by `approval_execute_task` after the decision commits and
    by the sweeper for requests a crash left behind. The action runs outside any transaction (it may
    call a provider); the outcome is recorded under the row lock. A transient error (database
    connection) releases the claim and propagates, for the caller to retry; any other error marks
    the approval failed with it. Returns None when there was nothing to run."""
    approval = _claim(approval_id)
    if approval is None:
        return None
    kind = registry.get(approval.kind)
    actor = Actor.staff(approval.decided_by)
    if approval.status == ApprovalRequest.Status.REJECTED:
        if kind.reject is not None:
            try:
                kind.reject(approval, actor)
            except TRANSIENT_ERRORS:
                _release(approval)
                raise
            except Exception as exc:
                logger.exception("approval %s: reject hook failed", approval.public_id)
                ApprovalRequest.objects.filter(pk=approval.pk).update(error=_error_text(exc))
        return approval
    try:
        kind.execute(approval, actor)
    except TRANSIENT_ERRORS:
        _release(approval)
        raise
    except Exception as exc:
        logger.exception("approval %s: executor failed", approval.public_id)
        return _finish(approval.pk, actor, failed=_error_text(exc))
    return _finish(approval.pk, actor)


def _finish(approval_pk: int, actor: Actor, failed: str = "") -> ApprovalRequest:
    with transaction.atomic():
        approval = ApprovalRequest.objects.select_for_update().select_related("merchant").get(pk=approval_pk)
        if approval.status != ApprovalRequest.Status.APPROVED:
            return approval
        before = _snapshot(approval)
        if failed:
            approval.status, approval.error = ApprovalRequest.Status.FAILED, failed
        else:
            approval.status, approval.executed_at = ApprovalRequest.Status.EXECUTED, timezone.now()
        approval.save(update_fields=["status", "error", "executed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="approval.failed" if failed else "approval.executed",
            merchant=approval.merchant,
            obj=approval,
            before=before,
            after={**_snapshot(approval), "error": failed or None},
        )
    return approval


def approval_request_resume(*, approval_id: str) -> ApprovalRequest:
    """Runs the action of a request left `approved` by a crash (the decision committed but its task
    never ran, or its worker died). The claim keeps it to one run; the owners' services refuse a
    target that already left its waiting state, and balance adjustments post once per approval."""
    approval = ApprovalRequest.objects.get(public_id=approval_id)
    if approval.status == ApprovalRequest.Status.APPROVED:
        approval_request_execute(approval_id=approval_id)
        approval.refresh_from_db()
    return approval


def approvals_resume(*, limit: int = 100) -> int:
    """The sweeper: resumes approvals decided more than a grace period ago whose action was never
    claimed, or whose claim went stale. Returns how many it resumed; a transient error leaves the
    request for the next sweep."""
    now = timezone.now()
    stuck = (
        ApprovalRequest.objects.filter(
            status=ApprovalRequest.Status.APPROVED, decided_at__lt=now - RESUME_GRACE
        )
        .filter(Q(execution_started_at__isnull=True) | Q(execution_started_at__lt=_stale_before()))
        .order_by("decided_at")
        .values_list("public_id", flat=True)[:limit]
    )
    resumed = 0
    for approval_id in list(stuck):
        try:
            approval = approval_request_resume(approval_id=approval_id)
        except TRANSIENT_ERRORS:
            logger.warning("approval %s: transient error while resuming; next sweep", approval_id)
            continue
        if approval.status != ApprovalRequest.Status.APPROVED:
            resumed += 1
    return resumed


def approval_request_cancel(*, target_type: str, target_id: str, actor: Actor, reason: str) -> int:
    """Cancel the pending request of a target that went away (e.g. the refund was canceled).
    Call inside the owner's transaction. Returns how many requests were canceled."""
    canceled = 0
    for approval in (
        ApprovalRequest.objects.select_for_update()
        .select_related("merchant")
        .filter(target_type=target_type, target_id=target_id, status=ApprovalRequest.Status.PENDING)
    ):
        approval.status = ApprovalRequest.Status.CANCELED
        approval.decision_reason = reason
        approval.save(update_fields=["status", "decision_reason", "updated_at"])
        audit_record(
            actor=actor, action="approval.canceled", merchant=approval.merchant, obj=approval, reason=reason
        )
        canceled += 1
    return canceled
