"""The merchant (API) and staff (back office): evidence staging, the one submission, acceptance."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.approvals.services import approval_request_create
from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.connectors.base import Declined, RetryableError
from apps.core.text import printable
from apps.files.limits import max_dispute_evidence_bytes
from apps.files.selectors import files_by_id

from ..errors import (
    DisputeAlreadyClosed,
    DisputeAlreadySubmitted,
    DisputeEvidenceFieldUnknown,
    DisputeEvidenceFileMissing,
    DisputeEvidenceFilePurpose,
    DisputeEvidenceFilesTooLarge,
    DisputeEvidencePastDue,
    DisputeEvidenceTooLong,
    DisputeEvidenceValueInvalid,
    DisputeSubmissionRefused,
    DisputeSubmissionUnavailable,
)
from ..models import EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS, Dispute
from ..transitions import ALLOWED, AWAITING_RESPONSE, TERMINAL, assert_transition
from .common import EVIDENCE_TEXT_LIMIT, S, _event, _lock_all
from .money import _settle_money


def _clean_evidence(dispute: Dispute, evidence: dict) -> dict:
    """The evidence fields sent, checked by name; a file field takes the id of one of the
    merchant's own `dispute_evidence` files (another merchant's file answers like a missing one)."""
    clean = {}
    file_ids = {}
    for name, value in evidence.items():
        if name not in EVIDENCE_TEXT_FIELDS and name not in EVIDENCE_FILE_FIELDS:
            raise DisputeEvidenceFieldUnknown(field=name, param=f"evidence[{name}]")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise DisputeEvidenceValueInvalid(field=name, param=f"evidence[{name}]")
        if name in EVIDENCE_FILE_FIELDS and value:
            file_ids[name] = value
        clean[name] = value
    if file_ids:
        found = files_by_id(merchant=dispute.merchant, livemode=dispute.livemode, ids=list(file_ids.values()))
        for name, file_id in file_ids.items():
            file = found.get(file_id)
            if file is None:
                raise DisputeEvidenceFileMissing(
                    field=name, file_id=printable(file_id), param=f"evidence[{name}]"
                )
            if file.purpose != "dispute_evidence":
                raise DisputeEvidenceFilePurpose(field=name, param=f"evidence[{name}]")
    return clean


def _files_size(dispute: Dispute, evidence: dict) -> int:
    ids = [evidence[name] for name in EVIDENCE_FILE_FIELDS if evidence.get(name)]
    if not ids:
        return 0
    found = files_by_id(merchant=dispute.merchant, livemode=dispute.livemode, ids=ids)
    return sum(found[i].size for i in ids if i in found)


def _merged_evidence(dispute: Dispute, staged: dict) -> dict:
    """The evidence after staging `staged`, if the dispute still takes evidence."""
    if dispute.status in TERMINAL:
        raise DisputeAlreadyClosed(dispute_status=dispute.status)
    if dispute.submission_count or dispute.status not in AWAITING_RESPONSE:
        raise DisputeAlreadySubmitted()
    if dispute.past_due or (dispute.due_by and dispute.due_by <= timezone.now()):
        raise DisputeEvidencePastDue()
    merged = {**(dispute.evidence or {}), **staged}
    length = sum(len(v) for name, v in merged.items() if name in EVIDENCE_TEXT_FIELDS and isinstance(v, str))
    if length > EVIDENCE_TEXT_LIMIT:
        raise DisputeEvidenceTooLong(length=length, limit=EVIDENCE_TEXT_LIMIT)
    if any(merged.get(name) for name in EVIDENCE_FILE_FIELDS):
        size, limit = _files_size(dispute, merged), max_dispute_evidence_bytes()
        if size > limit:
            raise DisputeEvidenceFilesTooLarge(size=size, limit=limit)
    return merged


def _send_evidence(dispute: Dispute, staged: dict) -> None:
    """Step before the lock: the connector takes the evidence (idempotent per dispute, so a
    retry or a concurrent submit sends it once); a refusal records nothing."""
    merged = _merged_evidence(dispute, staged)
    result = gateway.submit_dispute_evidence(
        connector=dispute.connector,
        idempotency_key=f"{dispute.public_id}:evidence",
        dispute_reference=dispute.connector_dispute_id,
        evidence={name: value for name, value in merged.items() if value},
    )
    if isinstance(result, Declined):
        raise DisputeSubmissionRefused(detail=result.message or result.code)
    if isinstance(result, RetryableError):
        raise DisputeSubmissionUnavailable()


def _version(staged: dict) -> dict:
    """What the audit keeps of an evidence version: each field staged, long text cut short."""
    return {name: value if len(value) <= 200 else value[:200] + "…" for name, value in sorted(staged.items())}


def dispute_update(
    *, dispute_id: int, actor: Actor, evidence: dict | None = None, metadata: dict | None = None,
    submit: bool = True, reason: str = "",
) -> Dispute:  # fmt: skip
    """Stripe's POST /v1/disputes/{id} (and the back office's evidence form): the evidence fields
    sent replace those staged (the others stay); `submit=true` (the default) sends the evidence to
    the connector — once. Each call is one audited evidence version."""
    dispute = Dispute.objects.select_related("connector", "merchant").get(pk=dispute_id)
    staged = _clean_evidence(dispute, evidence or {})
    if submit:
        _send_evidence(dispute, staged)
    with transaction.atomic(durable=True):
        dispute = _lock_all(dispute_id)
        previous: dict = {}
        if staged or submit:
            merged = _merged_evidence(dispute, staged)
            if staged:
                previous["evidence"] = dispute.evidence
                dispute.evidence = merged
        if metadata is not None:
            previous["metadata"] = dispute.metadata
            dispute.metadata = metadata
        if submit:
            target = S.WARNING_UNDER_REVIEW if dispute.is_inquiry else S.UNDER_REVIEW
            assert_transition(dispute, target)
            previous["status"] = dispute.status
            dispute.status = target
            dispute.submission_count = 1
            dispute.submitted_at = timezone.now()
        dispute.save()
        audit_record(
            actor=actor, action="dispute.evidence_submitted" if submit else "dispute.update",
            merchant=dispute.merchant, obj=dispute, before=previous,
            after={"evidence_fields": sorted(staged), "evidence": _version(staged), "status": dispute.status,
                   "metadata": dispute.metadata},
            reason=reason,
        )  # fmt: skip
        _event(dispute, "charge.dispute.updated", previous)
    return dispute


def dispute_close(*, dispute_id: int, actor: Actor, reason: str = "") -> Dispute:
    """The merchant accepts the dispute: it is lost (irreversible; the funds stay withdrawn). In
    the back office this runs once a finance approver approved the request (approvals.py)."""
    with transaction.atomic(durable=True):
        dispute = _lock_all(dispute_id)
        if dispute.status in TERMINAL:
            raise DisputeAlreadyClosed(dispute_status=dispute.status)
        target = S.WARNING_CLOSED if dispute.is_inquiry else S.LOST
        if target not in ALLOWED[dispute.status]:
            raise DisputeAlreadySubmitted()
        previous = {"status": dispute.status}
        dispute.status = target
        dispute.closed_at = timezone.now()
        dispute.save()
        audit_record(
            actor=actor, action="dispute.accepted", merchant=dispute.merchant, obj=dispute,
            before=previous, after={"status": target}, reason=reason,
        )  # fmt: skip
        _settle_money(dispute)
        _event(dispute, "charge.dispute.closed", previous)
    return dispute


def dispute_request_accept(*, dispute_id: int, actor: Actor, reason: str):
    """A staff member asks to accept (close) the dispute: a maker-checker request a finance
    approver decides; approving runs `dispute_close` (approvals.py). Refused at once when the
    dispute cannot be accepted any more, so nobody approves a request that would fail."""
    with transaction.atomic(durable=True):
        dispute = _lock_all(dispute_id)
        if dispute.status in TERMINAL:
            raise DisputeAlreadyClosed(dispute_status=dispute.status)
        if (S.WARNING_CLOSED if dispute.is_inquiry else S.LOST) not in ALLOWED[dispute.status]:
            raise DisputeAlreadySubmitted()
        approval = approval_request_create(
            kind="dispute_accept", merchant=dispute.merchant, livemode=dispute.livemode, target_type="dispute",
            target_id=dispute.public_id, amount=dispute.amount, currency=dispute.currency, reason=reason,
            requested_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="dispute.accept_requested", merchant=dispute.merchant, obj=dispute,
            after={"approval": approval.public_id, "status": dispute.status}, reason=reason,
        )  # fmt: skip
    return approval
