"""The write-off / force-match approval kind: requested by one finance member, executed once a
second one approves. Registered by ReconciliationConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .services.resolve import APPROVAL_KIND, discrepancy_approval_rejected, discrepancy_approved


def _execute(approval: ApprovalRequest, actor: Actor) -> None:
    discrepancy_approved(discrepancy_public_id=approval.target_id, operation=(approval.payload or {})["operation"],
                         actor=actor, reason=approval.reason)  # fmt: skip


def _reject(approval: ApprovalRequest, actor: Actor) -> None:
    discrepancy_approval_rejected(discrepancy_public_id=approval.target_id, actor=actor)


def register_approval_kind() -> None:
    registry.register(APPROVAL_KIND, permission="approvals.decide_approvalrequest", execute=_execute,
                      reject=_reject, label="Reconciliation write-off / force-match")  # fmt: skip
