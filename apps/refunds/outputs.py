"""The OpenAPI component of `refund_to_dict` — schema only, field for field (validated against
real payloads by tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .models import Refund


class RefundApprovalOutput(serializers.Serializer):
    required = serializers.BooleanField(
        help_text="The refund was (or is) held for a second person's approval."
    )
    decided_at = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class RefundOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["refund"])
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    reason = serializers.ChoiceField(choices=Refund.Reason.choices, allow_null=True)
    payment_intent = serializers.CharField()
    charge = serializers.CharField()
    metadata = serializers.DictField(child=serializers.CharField())
    gateway_reference = serializers.CharField(allow_null=True)
    failure_reason = serializers.CharField(allow_null=True)
    failure_message = serializers.CharField(allow_null=True)
    approval = RefundApprovalOutput()
    created = serializers.IntegerField()
    canceled_at = serializers.IntegerField(allow_null=True)
    livemode = serializers.BooleanField()
