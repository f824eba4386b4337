from rest_framework import serializers

from apps.core.rest import AmountField, MetadataField, StrictSerializer


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
