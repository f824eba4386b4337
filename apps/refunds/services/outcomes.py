"""Recording the provider's answer to a refund."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors.base import Approved, Declined, Pending, RetryableError
from apps.ledger.services import ledger_record_refund

from ..models import Refund
from ..transitions import assert_transition
from .common import OPEN, _charge_event, _event, _lock_all


def refund_record_result(*, refund_id: int, result, actor: Actor) -> Refund:
    """Step 3: lock and record the provider's answer (also the janitor's and inbound events').
    A refund already final is left alone, so replays change nothing."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        intent, charge, refund = _lock_all(refund_id)
        if refund.status not in OPEN:
            return refund
        previous = {"status": refund.status}
        if isinstance(result, Approved):
            assert_transition(refund, Refund.Status.SUCCEEDED)
            refund.status = Refund.Status.SUCCEEDED
            refund.submission = Refund.Submission.DONE
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.succeeded_at = now
            refund.save()
            charge.amount_refunded += refund.amount
            charge.save(update_fields=["amount_refunded", "updated_at"])
            intent.amount_refunded += refund.amount
            intent.save(update_fields=["amount_refunded", "updated_at"])
            ledger_record_refund(refund=refund)
            audit_record(
                actor=actor, action="refund.succeeded", merchant=refund.merchant, obj=refund,
                after={"amount": refund.amount, "gateway_reference": refund.gateway_reference},
            )  # fmt: skip
            _event(refund, "refund.updated", previous)
            _charge_event(charge, "charge.refunded")
        elif isinstance(result, Pending):
            refund.submission = Refund.Submission.ACCEPTED
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.save(update_fields=["submission", "gateway_reference", "updated_at"])
        elif isinstance(result, Declined):
            assert_transition(refund, Refund.Status.FAILED)
            refund.status = Refund.Status.FAILED
            refund.submission = Refund.Submission.DONE
            refund.failure_reason = result.code or "declined"
            refund.failure_message = (result.message or "")[:500]
            refund.gateway_reference = result.gateway_reference or refund.gateway_reference
            refund.failed_at = now
            refund.save()
            audit_record(
                actor=actor, action="refund.failed", merchant=refund.merchant, obj=refund,
                after={"failure_reason": refund.failure_reason, "message": refund.failure_message},
            )  # fmt: skip
            _event(refund, "refund.failed", previous)
        elif isinstance(result, RetryableError):
            refund.submission = (
                Refund.Submission.UNKNOWN if result.outcome_unknown else Refund.Submission.NOT_SENT
            )
            refund.failure_message = result.message[:500]
            refund.save(update_fields=["submission", "failure_message", "updated_at"])
    return refund


# ---------------------------------------------------------------------------------------------
# approval (maker-checker), cancel
# ---------------------------------------------------------------------------------------------
