"""The public shape of a dispute (Stripe's field names): the API's representation and the
webhook event payload."""

from apps.core.payloads import unix
from apps.ledger.models import BalanceTransaction
from apps.ledger.payloads import balance_transaction_payload

from .models import EVIDENCE_FIELDS, Dispute


def dispute_balance_transactions(dispute: Dispute) -> list[BalanceTransaction]:
    """The ledger lines of the dispute, every withdrawal round, oldest first (read once per page
    by `disputes_with_balance_transactions` when a list is rendered)."""
    cached = getattr(dispute, "_balance_transactions", None)
    if cached is not None:
        return cached
    return disputes_with_balance_transactions([dispute])[0]._balance_transactions


def disputes_with_balance_transactions(disputes: list[Dispute]) -> list[Dispute]:
    """Attaches each dispute's balance transactions with one query for the whole page."""
    keys = {d.ledger_key(n): d for d in disputes for n in range(d.ledger_round + 1)}
    for dispute in disputes:
        dispute._balance_transactions = []
    if keys:
        rows = BalanceTransaction.objects.filter(
            merchant_id__in={d.merchant_id for d in disputes}, source_type="dispute", source_id__in=list(keys)
        ).order_by("id")
        for row in rows:
            owner = keys.get(row.source_id)
            if owner is not None and owner.merchant_id == row.merchant_id:
                owner._balance_transactions.append(row)
    return disputes


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
