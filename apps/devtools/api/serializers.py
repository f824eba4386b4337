from rest_framework import serializers

from apps.core.rest import StrictIntegerField, StrictSerializer


class SimulateInput(StrictSerializer):
    type = serializers.CharField(max_length=64)
    object = serializers.CharField(max_length=64)
    delay_ms = StrictIntegerField(required=False, default=0)
    reason = serializers.CharField(max_length=64, required=False)
    outcome = serializers.CharField(max_length=16, required=False)
    amount = StrictIntegerField(required=False, min_value=1)
    failure_reason = serializers.CharField(max_length=64, required=False)
    failure_code = serializers.CharField(max_length=64, required=False)
    decline_code = serializers.CharField(max_length=64, required=False)
    fraud_type = serializers.CharField(max_length=64, required=False)
