"""The risk override approval kind: an override above the merchant's amount (or any allow of a
card, e-mail or IP) waits for a second risk analyst. Registered by RiskConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .services.overrides import APPROVAL_KIND, override_activate, override_reject


def _reason(approval: ApprovalRequest) -> str:
    return approval.decision_reason or approval.reason


def override_approval_execute(approval: ApprovalRequest, actor: Actor) -> None:
    override_activate(override_id=approval.target_id, actor=actor, reason=_reason(approval))


def override_approval_reject(approval: ApprovalRequest, actor: Actor) -> None:
    override_reject(override_id=approval.target_id, actor=actor, reason=_reason(approval))


def register_approval_kind() -> None:
    registry.register(
        APPROVAL_KIND,
        permission="risk.approve_override",
        execute=override_approval_execute,
        reject=override_approval_reject,
        label="Risk override (allow or block) needing a second analyst",
    )
