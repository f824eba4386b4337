"""Executors of the approval kinds. The owners' services are imported lazily: this module is loaded
at start-up, before (and independently of) the apps it drives."""

from apps.audit.services import Actor

from .models import ApprovalRequest


def _reason(approval: ApprovalRequest) -> str:
    return approval.decision_reason or approval.reason


def refund_execute(approval: ApprovalRequest, actor: Actor) -> None:
    from apps.refunds.services import refund_approve

    refund_approve(refund_id=approval.target_id, actor=actor, reason=_reason(approval))


def refund_reject(approval: ApprovalRequest, actor: Actor) -> None:
    from apps.refunds.services import refund_reject as reject

    reject(refund_id=approval.target_id, actor=actor, reason=_reason(approval))


def payout_execute(approval: ApprovalRequest, actor: Actor) -> None:
    from apps.payouts.services import payout_approve

    payout_approve(
        payout_id=approval.target_id, actor=actor, user=approval.decided_by, reason=_reason(approval)
    )


def payout_reject(approval: ApprovalRequest, actor: Actor) -> None:
    from apps.payouts.services import payout_reject as reject

    reject(payout_id=approval.target_id, actor=actor, user=approval.decided_by, reason=_reason(approval))


def balance_adjustment_execute(approval: ApprovalRequest, actor: Actor) -> None:
    """The payload holds the adjustment as requested by `ledger_adjustment_request`: {"currency", "amount"};
    the approval's public id makes the posting idempotent."""
    from apps.ledger.services import ledger_adjustment_post

    ledger_adjustment_post(
        merchant=approval.merchant,
        livemode=approval.livemode,
        actor=actor,
        reason=approval.reason,
        approval_id=approval.public_id,
        **(approval.payload or {}),
    )


def register_default_kinds() -> None:
    from . import registry

    registry.register(
        "refund",
        permission="refunds.approve_refund",
        execute=refund_execute,
        reject=refund_reject,
        label="Refund above the approval threshold",
    )
    registry.register(
        "payout",
        permission="payouts.approve_payout",
        execute=payout_execute,
        reject=payout_reject,
        label="Payout above the approval threshold",
    )
    registry.register(
        "balance_adjustment",
        permission="approvals.decide_approvalrequest",
        execute=balance_adjustment_execute,
        label="Manual balance adjustment",
    )
