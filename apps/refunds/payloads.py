"""The public shape of a refund: the API's representation and the webhook event payload."""

from apps.core.payloads import unix

from .models import Refund


def refund_to_dict(refund: Refund) -> dict:
    return {
        "id": refund.public_id,
        "object": "refund",
        "amount": refund.amount,
        "currency": refund.currency.lower(),
        "status": refund.status,
        "reason": refund.reason or None,
        "payment_intent": refund.payment_intent.public_id,
        "charge": refund.charge.public_id,
        "metadata": refund.metadata or {},
        "gateway_reference": refund.gateway_reference or None,
        "failure_reason": refund.failure_reason or None,
        "failure_message": refund.failure_message or None,
        "approval": {
            "required": refund.decided_at is not None or refund.status == Refund.Status.REQUIRES_APPROVAL,
            "decided_at": unix(refund.decided_at),
            "reason": refund.decision_reason or None,
        },
        "created": unix(refund.created_at),
        "canceled_at": unix(refund.canceled_at),
        "livemode": refund.livemode,
    }
