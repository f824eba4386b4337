"""The dispute-accept approval kind: accepting a dispute (it is lost, irreversibly) is asked for by
one staff member and decided by a finance approver. Registered by DisputesConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .errors import DisputeAlreadyClosed
from .models import Dispute
from .services import dispute_close


def dispute_accept_execute(approval: ApprovalRequest, actor: Actor) -> None:
    dispute = Dispute.objects.get(public_id=approval.target_id, merchant=approval.merchant)
    try:
        dispute_close(dispute_id=dispute.pk, actor=actor, reason=approval.decision_reason or approval.reason)
    except DisputeAlreadyClosed:
        # A worker that died after the close committed, before the approval was marked executed:
        # the re-run finishes the approval. A dispute the network closed meanwhile fails it.
        if not Dispute.objects.filter(pk=dispute.pk, status__in=("lost", "warning_closed")).exists():
            raise


def register_approval_kind() -> None:
    registry.register(
        "dispute_accept",
        permission="disputes.accept_dispute",
        execute=dispute_accept_execute,
        label="Accept a dispute (it is lost; the funds stay withdrawn)",
    )
