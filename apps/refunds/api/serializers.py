from rest_framework import serializers

from apps.core.payloads import unix
from apps.core.rest import AmountField, MetadataField, StrictSerializer
from apps.refunds.models import Refund


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


class RefundCreateInput(StrictSerializer):
    payment_intent = serializers.CharField(required=False, max_length=64)
    charge = serializers.CharField(required=False, max_length=64)
    amount = AmountField(required=False)
    reason = serializers.ChoiceField(
        choices=["duplicate", "fraudulent", "requested_by_customer", "product_return"], required=False
    )
    metadata = MetadataField()


class RefundUpdateInput(StrictSerializer):
    metadata = MetadataField(required=True)


class RefundCancelInput(StrictSerializer):
    reason = serializers.CharField(required=False, max_length=500, allow_blank=True)
