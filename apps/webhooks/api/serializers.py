from rest_framework import serializers

from apps.core.rest import MetadataField, StrictBooleanField, StrictIntegerField, StrictSerializer

# --- input ------------------------------------------------------------------------------------


class WebhookEndpointCreateInput(StrictSerializer):
    url = serializers.CharField(max_length=2048)
    enabled_events = serializers.ListField(
        child=serializers.CharField(max_length=100), allow_empty=False, max_length=200
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    api_version = serializers.CharField(max_length=20, required=False)
    metadata = MetadataField()


class WebhookEndpointUpdateInput(StrictSerializer):
    url = serializers.CharField(max_length=2048, required=False)
    enabled_events = serializers.ListField(
        child=serializers.CharField(max_length=100), allow_empty=False, max_length=200, required=False
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    metadata = MetadataField()
    disabled = StrictBooleanField(required=False)


class WebhookRotateSecretInput(StrictSerializer):
    # How long the previous secret keeps signing (a second signature) after the rotation.
    previous_secret_expires_in = StrictIntegerField(
        required=False, min_value=0, max_value=7 * 24 * 3600, default=24 * 3600
    )


class WebhookEndpointTestInput(StrictSerializer):
    pass


class WebhookRetryFailedInput(StrictSerializer):
    webhook_endpoint = serializers.CharField(max_length=64, required=False)


# --- output (schema only) ---------------------------------------------------------------------


class WebhookEventOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    api_version = serializers.CharField()
    created = serializers.IntegerField()
    data = serializers.DictField()
    livemode = serializers.BooleanField()
    pending_webhooks = serializers.IntegerField()
    request = serializers.DictField()
    type = serializers.CharField()


class WebhookEndpointOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    api_version = serializers.CharField()
    created = serializers.IntegerField()
    description = serializers.CharField(allow_null=True)
    enabled_events = serializers.ListField(child=serializers.CharField())
    livemode = serializers.BooleanField()
    metadata = serializers.DictField()
    status = serializers.CharField()
    disabled_reason = serializers.CharField(allow_null=True)
    url = serializers.CharField()
    secret = serializers.CharField(required=False, help_text="Only on create and rotate_secret.")


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    event = serializers.CharField()
    webhook_endpoint = serializers.CharField(allow_null=True)
    url = serializers.CharField()
    status = serializers.CharField()
    attempt_count = serializers.IntegerField()
    next_attempt = serializers.IntegerField(allow_null=True)
    created = serializers.IntegerField()


class WebhookRetryFailedOutput(serializers.Serializer):
    object = serializers.CharField()
    retried = serializers.IntegerField()


class WebhookEndpointDeletedOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    deleted = serializers.BooleanField()
