"""The refund approval kind: a refund above the merchant's threshold waits in `requires_approval`
until a second staff member decides it. Registered by RefundsConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .services import refund_approve, refund_reject


def _reason(approval: ApprovalRequest) -> str:
    return approval.decision_reason or approval.reason


def refund_approval_execute(approval: ApprovalRequest, actor: Actor) -> None:
    refund_approve(refund_id=approval.target_id, actor=actor, reason=_reason(approval))


def refund_approval_reject(approval: ApprovalRequest, actor: Actor) -> None:
    refund_reject(refund_id=approval.target_id, actor=actor, reason=_reason(approval))


def register_approval_kind() -> None:
    registry.register(
        "refund",
        permission="refunds.approve_refund",
        execute=refund_approval_execute,
        reject=refund_approval_reject,
        label="Refund above the approval threshold",
    )
