"""The public shape of a dispute (Stripe's field names): the API's representation and the
webhook event payload."""

from apps.core.payloads import unix
from apps.ledger.models import BalanceTransaction
from apps.ledger.payloads import balance_transaction_payload

from .models import EVIDENCE_FIELDS, Dispute


def dispute_balance_transactions(dispute: Dispute) -> list[BalanceTransaction]:
    """The ledger lines of the dispute, every withdrawal round, oldest first."""
    keys = [dispute.ledger_key(n) for n in range(dispute.ledger_round + 1)]
    return list(
        BalanceTransaction.objects.filter(
            merchant_id=dispute.merchant_id, source_type="dispute", source_id__in=keys
        ).order_by("id")
    )


def dispute_to_dict(dispute: Dispute) -> dict:
    evidence = dispute.evidence or {}
    return {
        "id": dispute.public_id,
        "object": "dispute",
        "amount": dispute.amount,
        "currency": dispute.currency.lower(),
        "charge": dispute.charge.public_id,
        "payment_intent": dispute.payment_intent.public_id,
        "status": dispute.status,
        "reason": dispute.reason,
        "network_reason_code": dispute.network_reason_code or None,
        "case_type": dispute.case_type,
        "evidence": {name: evidence.get(name) or None for name in EVIDENCE_FIELDS},
        "evidence_details": {
            "due_by": unix(dispute.due_by),
            "has_evidence": dispute.has_evidence,
            "past_due": dispute.past_due,
            "submission_count": dispute.submission_count,
        },
        "is_charge_refundable": dispute.is_charge_refundable,
        "balance_transactions": [
            balance_transaction_payload(bt) for bt in dispute_balance_transactions(dispute)
        ],
        "metadata": dispute.metadata or {},
        "created": unix(dispute.created_at),
        "livemode": dispute.livemode,
    }
