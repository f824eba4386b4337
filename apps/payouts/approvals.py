"""The payout approval kind: a payout above the merchant's threshold waits until a second staff
member releases or refuses it. Registered by PayoutsConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .errors import PayoutNotAwaitingApproval
from .models import Payout
from .services import payout_approve, payout_reject


def _reason(approval: ApprovalRequest) -> str:
    return approval.decision_reason or approval.reason


def payout_approval_execute(approval: ApprovalRequest, actor: Actor) -> None:
    try:
        payout_approve(
            payout_id=approval.target_id, actor=actor, user=approval.decided_by, reason=_reason(approval)
        )
    except PayoutNotAwaitingApproval:
        # An earlier run of this approval released the payout and died before the approval was
        # marked executed: finish the approval rather than report a failure.
        if Payout.objects.filter(public_id=approval.target_id, approval=Payout.Approval.APPROVED).exists():
            return
        raise


def payout_approval_reject(approval: ApprovalRequest, actor: Actor) -> None:
    payout_reject(
        payout_id=approval.target_id, actor=actor, user=approval.decided_by, reason=_reason(approval)
    )


def register_approval_kind() -> None:
    registry.register(
        "payout",
        permission="payouts.approve_payout",
        execute=payout_approval_execute,
        reject=payout_approval_reject,
        label="Payout above the approval threshold",
    )
