from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.currencies import CURRENCIES
from apps.core.rest import (
    AmountField,
    StrictBooleanField,
    StrictIntegerField,
    StrictSerializer,
    UnixTimestampField,
)
from apps.merchants.models import DEFAULT_PAYMENT_METHOD_TYPES, ApiKey, MerchantSettings


class AccountOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    name = serializers.CharField()
    country = serializers.CharField()
    default_currency = serializers.CharField()
    settlement_currency = serializers.CharField()
    status = serializers.CharField()
    created = serializers.IntegerField()


class SettingsOutput(serializers.Serializer):
    object = serializers.CharField()
    allowed_payment_method_types = serializers.ListField(child=serializers.CharField())
    default_capture_method = serializers.CharField()
    max_authorization_amount = serializers.IntegerField()
    three_ds_policy = serializers.CharField()
    dispute_retention_days = serializers.IntegerField()
    refund_approval_threshold = serializers.IntegerField(allow_null=True)
    payout_approval_threshold = serializers.IntegerField(
        allow_null=True, help_text="Legacy single threshold (minor units) for currencies without their own."
    )
    refund_approval_thresholds = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text="Refund approval threshold per currency in its minor units, keyed by lower-case ISO code.",
    )
    payout_approval_thresholds = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text="Payout approval threshold per currency in its minor units, keyed by lower-case ISO code.",
    )
    settlement_delay_days = serializers.IntegerField()
    require_redisplay_consent = serializers.BooleanField()
    version = serializers.IntegerField()
    updated = serializers.IntegerField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
        "description": "Threshold per currency, in its smallest unit (e.g. <field>[usd]=10000); "
        "an empty value drops that currency's own threshold (the single one then applies), an empty "
        "field drops them all.",
    }
)
class ThresholdsField(serializers.Field):
    """{currency: minor units}; "" as a value (or as the whole field) unsets, as metadata does."""

    def to_internal_value(self, data):
        if data in ("", None):
            return None
        if not isinstance(data, dict) or len(data) > len(CURRENCIES):
            raise serializers.ValidationError(f"Pass {self.field_name}[<currency>]=<amount in minor units>.")
        amounts = AmountField()
        out = {}
        for code, value in data.items():
            key = str(code)[:8]  # the error's param: refund_approval_thresholds[<key>]
            if not isinstance(code, str) or code.upper() not in CURRENCIES:
                raise serializers.ValidationError(
                    {key: [f"Invalid currency: {key}. Use a three-letter ISO 4217 code."]}
                )
            try:
                out[code.upper()] = None if value in ("", None) else amounts.to_internal_value(value)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({key: exc.detail}) from exc
        return out

    def to_representation(self, value):
        return value


class SettingsPatchInput(StrictSerializer):
    allowed_payment_method_types = serializers.ListField(
        child=serializers.ChoiceField(choices=DEFAULT_PAYMENT_METHOD_TYPES), allow_empty=False, required=False
    )
    default_capture_method = serializers.ChoiceField(
        choices=MerchantSettings.CaptureMethod.values, required=False
    )
    max_authorization_amount = AmountField(required=False)
    three_ds_policy = serializers.ChoiceField(choices=MerchantSettings.ThreeDSPolicy.values, required=False)
    dispute_retention_days = StrictIntegerField(min_value=30, max_value=3650, required=False)
    refund_approval_threshold = AmountField(required=False, allow_null=True)
    payout_approval_threshold = AmountField(required=False, allow_null=True)
    refund_approval_thresholds = ThresholdsField(required=False, allow_null=True)
    payout_approval_thresholds = ThresholdsField(required=False, allow_null=True)
    settlement_delay_days = StrictIntegerField(min_value=0, max_value=30, required=False)
    require_redisplay_consent = StrictBooleanField(required=False)

    def validate_max_authorization_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("This value must be greater than 0.", code="invalid_integer")
        return value


class ApiKeyOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    type = serializers.CharField()
    livemode = serializers.BooleanField()
    name = serializers.CharField()
    redacted_key = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created = serializers.IntegerField()
    expires_at = serializers.IntegerField(allow_null=True)
    last_used_at = serializers.IntegerField(allow_null=True)
    revoked = serializers.BooleanField()
    revoked_at = serializers.IntegerField(allow_null=True)
    secret = serializers.CharField(required=False, help_text="Only on creation; never shown again.")


class ApiKeyCreateInput(StrictSerializer):
    type = serializers.ChoiceField(choices=ApiKey.Kind.values)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    expires_at = UnixTimestampField(required=False, help_text="Unix seconds")


class RevokeInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
