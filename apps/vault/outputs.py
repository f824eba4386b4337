"""The OpenAPI components of `payloads.py`'s shapes that other apps answer too (a token is also
made by the test helpers' faucet) — schema only, field for field."""

from rest_framework import serializers


class VaultAddressOutput(serializers.Serializer):
    city = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    line1 = serializers.CharField(allow_null=True)
    line2 = serializers.CharField(allow_null=True)
    postal_code = serializers.CharField(allow_null=True)
    state = serializers.CharField(allow_null=True)


class VaultBillingDetailsOutput(serializers.Serializer):
    address = VaultAddressOutput()
    email = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)


class TokenCardOutput(serializers.Serializer):
    brand = serializers.CharField()
    country = serializers.CharField(allow_null=True)
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()
    fingerprint = serializers.CharField()
    funding = serializers.CharField()
    last4 = serializers.CharField()
    billing_details = VaultBillingDetailsOutput()
    tokenization_method = serializers.CharField(
        allow_null=True, help_text="A device wallet's token (apple_pay, google_pay), or null."
    )


class TokenOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["token"])
    card = TokenCardOutput()
    client_ip = serializers.CharField(allow_null=True)
    created = serializers.IntegerField()
    expires_at = serializers.IntegerField()
    livemode = serializers.BooleanField()
    type = serializers.ChoiceField(choices=["card"])
    used = serializers.BooleanField()
