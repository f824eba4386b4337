from rest_framework import serializers

from apps.core.payloads import unix
from apps.core.rest import AmountField, StrictIntegerField, StrictSerializer
from apps.merchants.models import DEFAULT_PAYMENT_METHOD_TYPES, ApiKey, Merchant, MerchantSettings


def merchant_to_dict(merchant: Merchant) -> dict:
    return {
        "id": merchant.public_id,
        "object": "account",
        "name": merchant.name,
        "country": merchant.country,
        "default_currency": merchant.default_currency.lower(),
        "settlement_currency": merchant.settlement_currency.lower(),
        "status": merchant.status,
        "created": unix(merchant.created_at),
    }


def settings_to_dict(s: MerchantSettings) -> dict:
    return {
        "object": "settings",
        "allowed_payment_method_types": s.allowed_payment_method_types,
        "default_capture_method": s.default_capture_method,
        "max_authorization_amount": s.max_authorization_amount,
        "three_ds_policy": s.three_ds_policy,
        "dispute_retention_days": s.dispute_retention_days,
        "refund_approval_threshold": s.refund_approval_threshold,
        "payout_approval_threshold": s.payout_approval_threshold,
        "settlement_delay_days": s.settlement_delay_days,
        "version": s.version,
        "updated": unix(s.updated_at),
    }


def api_key_to_dict(key: ApiKey, plaintext: str | None = None) -> dict:
    data = {
        "id": key.public_id,
        "object": "api_key",
        "type": key.kind,
        "livemode": key.livemode,
        "name": key.name,
        "redacted_key": f"{key.display_prefix}{'*' * 8}",
        "scopes": key.scopes,
        "created": unix(key.created_at),
        "expires_at": unix(key.expires_at),
        "last_used_at": unix(key.last_used_at),
        "revoked": key.revoked_at is not None,
        "revoked_at": unix(key.revoked_at),
    }
    if plaintext:
        data["secret"] = plaintext  # shown once, on creation
    return data


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
    payout_approval_threshold = serializers.IntegerField(allow_null=True)
    settlement_delay_days = serializers.IntegerField()
    version = serializers.IntegerField()
    updated = serializers.IntegerField()


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
    settlement_delay_days = StrictIntegerField(min_value=0, max_value=30, required=False)

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
    expires_at = StrictIntegerField(required=False, help_text="Unix seconds")


class RevokeInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
