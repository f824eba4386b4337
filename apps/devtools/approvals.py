"""The bulk job approval kind: a job above BULK_JOB_APPROVAL_THRESHOLD starts only once a second
staff member (the checker) releases it. Registered by DevtoolsConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .errors import BulkJobNotAwaitingApproval
from .models import BulkJob
from .services.bulk import bulk_job_approve, bulk_job_reject


def bulk_job_approval_execute(approval: ApprovalRequest, actor: Actor) -> None:
    try:
        bulk_job_approve(job_id=approval.target_id, actor=actor)
    except BulkJobNotAwaitingApproval:
        # An earlier run of this approval released the job and died before being marked executed.
        if (
            BulkJob.objects.filter(public_id=approval.target_id)
            .exclude(status=BulkJob.Status.REQUIRES_APPROVAL)
            .exists()
        ):
            return
        raise


def bulk_job_approval_reject(approval: ApprovalRequest, actor: Actor) -> None:
    bulk_job_reject(job_id=approval.target_id, actor=actor, reason=approval.decision_reason or "")


def register_approval_kind() -> None:
    registry.register(
        "bulk_job",
        permission="devtools.approve_bulkjob",
        execute=bulk_job_approval_execute,
        reject=bulk_job_approval_reject,
        label="Bulk job above the approval threshold",
    )
