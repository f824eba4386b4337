"""The balance-adjustment approval kind: a manual adjustment requested by one finance member is
posted once a second one approves it. Registered by LedgerConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .services import ledger_adjustment_post


def balance_adjustment_execute(approval: ApprovalRequest, actor: Actor) -> None:
    """The payload holds the adjustment as requested by `ledger_adjustment_request`: {"currency", "amount"};
    the approval's public id makes the posting idempotent."""
    ledger_adjustment_post(
        merchant=approval.merchant,
        livemode=approval.livemode,
        actor=actor,
        reason=approval.reason,
        approval_id=approval.public_id,
        **(approval.payload or {}),
    )


def register_approval_kind() -> None:
    registry.register(
        "balance_adjustment",
        permission="approvals.decide_approvalrequest",
        execute=balance_adjustment_execute,
        label="Manual balance adjustment",
    )
