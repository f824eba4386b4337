"""Vault API: strict input serializers and the schema-only output serializers.

The shapes themselves are built in apps/vault/payloads.py; the `*Output` serializers here
describe them for the OpenAPI schema.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.rest import MetadataField, StrictBooleanField, StrictSerializer
from apps.core.schema import list_of
from apps.vault.models import MicroDepositVerification, PaymentMethod
from apps.vault.outputs import TokenOutput, VaultAddressOutput, VaultBillingDetailsOutput  # noqa: F401 (re-exported)

# --- input ------------------------------------------------------------------------------------

PAYMENT_METHOD_TYPES = [c for c, _ in PaymentMethod.Type.choices]


@extend_schema_field({"type": "string", "enum": PAYMENT_METHOD_TYPES})
class PaymentMethodTypeField(serializers.ChoiceField):
    """Inline enum in the schema: the same values as merchant settings' allowed types, without
    drf-spectacular's enum-name collision between the two components."""

    def __init__(self, **kwargs):
        super().__init__(choices=PAYMENT_METHOD_TYPES, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class LooseScalarField(serializers.Field):
    """Takes an integer or a digit string as sent and leaves the verdict to the card validator,
    so a bad expiry answers Stripe's specific code (invalid_expiry_month …) rather than a generic one."""

    default_error_messages = {"invalid": "Expected an integer or a string of digits."}

    def to_internal_value(self, data):
        if isinstance(data, (dict, list)):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class VaultAddressInput(StrictSerializer):
    city = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    country = serializers.CharField(
        max_length=2, min_length=2, required=False, allow_blank=True, allow_null=True
    )
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True)
    state = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)

    def validate_country(self, value):
        return value.upper() if value else value


class VaultBillingDetailsInput(StrictSerializer):
    address = VaultAddressInput(required=False, allow_null=True)
    email = serializers.EmailField(max_length=512, required=False, allow_blank=True, allow_null=True)
    name = serializers.CharField(max_length=256, required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, allow_null=True)

    def validate_email(self, value):
        return value.lower() if value else value


class CustomerCreateInput(StrictSerializer):
    email = serializers.EmailField(max_length=512, required=False, allow_blank=True)
    name = serializers.CharField(max_length=256, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    address = VaultAddressInput(required=False, allow_null=True)
    metadata = MetadataField()


class CustomerUpdateInput(CustomerCreateInput):
    pass


class CustomerDeleteInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PaymentMethodCardInput(StrictSerializer):
    number = serializers.CharField(required=False, trim_whitespace=True, max_length=64)
    exp_month = LooseScalarField(required=False)
    exp_year = LooseScalarField(required=False)
    cvc = serializers.CharField(required=False, allow_blank=True, max_length=8)
    token = serializers.CharField(required=False, max_length=64)

    def validate(self, attrs):
        if attrs.get("token"):
            if any(key in attrs for key in ("number", "exp_month", "exp_year", "cvc")):
                raise serializers.ValidationError(
                    {"token": ["Pass either card[token] or the card details, not both."]}, code="invalid"
                )
            return attrs
        for key in ("number", "exp_month", "exp_year"):
            if key not in attrs:
                raise serializers.ValidationError(
                    {key: [serializers.ErrorDetail("required", code="required")]}
                )
        return attrs


class TokenCardInput(StrictSerializer):
    number = serializers.CharField(trim_whitespace=True, max_length=64)
    exp_month = LooseScalarField()
    exp_year = LooseScalarField()
    cvc = serializers.CharField(required=False, allow_blank=True, max_length=8)
    name = serializers.CharField(required=False, allow_blank=True, max_length=256)
    address_line1 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address_line2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address_city = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address_state = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address_zip = serializers.CharField(required=False, allow_blank=True, max_length=20)
    address_country = serializers.CharField(required=False, allow_blank=True, max_length=2)


class TokenCreateInput(StrictSerializer):
    card = TokenCardInput()


class PaymentMethodSepaDebitInput(StrictSerializer):
    iban = serializers.CharField(max_length=64)


class PaymentMethodUsBankAccountInput(StrictSerializer):
    routing_number = serializers.CharField(max_length=32)
    account_number = serializers.CharField(max_length=32)
    account_type = serializers.ChoiceField(choices=["checking", "savings"], required=False)
    account_holder_type = serializers.ChoiceField(choices=["individual", "company"], required=False)


class PaymentMethodWalletInput(StrictSerializer):
    token = serializers.CharField(max_length=500)
    card_brand = serializers.ChoiceField(
        choices=["visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay"], required=False
    )
    dynamic_last4 = serializers.RegexField(r"^[0-9]{4}$", required=False, max_length=4)


class PaymentMethodPaypalInput(StrictSerializer):
    token = serializers.CharField(max_length=500)
    payer_email = serializers.EmailField(max_length=512, required=False, allow_blank=True)


ALLOW_REDISPLAY_CHOICES = ["always", "limited", "unspecified"]


class PaymentMethodCreateInput(StrictSerializer):
    type = PaymentMethodTypeField()
    card = PaymentMethodCardInput(required=False)
    token = serializers.CharField(
        required=False, max_length=64, help_text="A tok_… made with POST /v1/tokens."
    )
    sepa_debit = PaymentMethodSepaDebitInput(required=False)
    us_bank_account = PaymentMethodUsBankAccountInput(required=False)
    apple_pay = PaymentMethodWalletInput(required=False)
    google_pay = PaymentMethodWalletInput(required=False)
    paypal = PaymentMethodPaypalInput(required=False)
    billing_details = VaultBillingDetailsInput(required=False)
    metadata = MetadataField()
    nickname = serializers.CharField(max_length=100, required=False, allow_blank=True)
    customer = serializers.CharField(max_length=64, required=False)
    allow_redisplay = serializers.ChoiceField(choices=ALLOW_REDISPLAY_CHOICES, required=False)

    def validate(self, attrs):
        pm_type = attrs["type"]
        type_keys = ("card", "sepa_debit", "us_bank_account", "apple_pay", "google_pay", "paypal")
        for key in type_keys:
            if key in attrs and key != pm_type:
                raise serializers.ValidationError(
                    {
                        key: [
                            serializers.ErrorDetail(
                                f"{key} cannot be passed with type={pm_type}.", code="invalid"
                            )
                        ]
                    }
                )
        if "token" in attrs and pm_type != "card":
            raise serializers.ValidationError(
                {"token": [serializers.ErrorDetail("token is only for type=card.", code="invalid")]}
            )
        if pm_type == "card":
            has_token = bool(attrs.get("token")) or bool(attrs.get("card", {}).get("token"))
            if "token" in attrs and "card" in attrs:
                raise serializers.ValidationError(
                    {
                        "token": [
                            serializers.ErrorDetail("Pass either token or card, not both.", code="invalid")
                        ]
                    }
                )
            if not has_token and "card" not in attrs:
                raise serializers.ValidationError(
                    {"card": [serializers.ErrorDetail("required", code="required")]}
                )
        elif pm_type not in attrs:
            raise serializers.ValidationError(
                {pm_type: [serializers.ErrorDetail("required", code="required")]}
            )
        return attrs


class PaymentMethodCardUpdateInput(StrictSerializer):
    exp_month = LooseScalarField(required=False)
    exp_year = LooseScalarField(required=False)


class PaymentMethodUpdateInput(StrictSerializer):
    billing_details = VaultBillingDetailsInput(required=False)
    metadata = MetadataField()
    nickname = serializers.CharField(max_length=100, required=False, allow_blank=True)
    card = PaymentMethodCardUpdateInput(required=False)
    is_default = StrictBooleanField(required=False)
    allow_redisplay = serializers.ChoiceField(choices=ALLOW_REDISPLAY_CHOICES, required=False)


class PaymentMethodAttachInput(StrictSerializer):
    customer = serializers.CharField(max_length=64)
    allow_redisplay = serializers.ChoiceField(choices=ALLOW_REDISPLAY_CHOICES, required=False)


class PaymentMethodDetachInput(StrictSerializer):
    pass


class PaymentMethodDeleteInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PaymentMethodVerifyInput(StrictSerializer):
    amounts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=99),
        required=False,
        help_text="The two micro-deposit amounts in minor units (bank accounts only).",
    )


# --- schema-only output serializers (mirror apps/vault/payloads.py) -------------------------------


class CustomerInvoiceSettingsOutput(serializers.Serializer):
    default_payment_method = serializers.CharField(allow_null=True)


class CustomerOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(default="customer")
    address = VaultAddressOutput(allow_null=True)
    created = serializers.IntegerField()
    description = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    invoice_settings = CustomerInvoiceSettingsOutput()
    livemode = serializers.BooleanField()
    metadata = serializers.DictField(child=serializers.CharField())
    name = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)


class VaultDeletedOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    deleted = serializers.BooleanField()


class DeletedCustomerOutput(serializers.Serializer):
    """What a deleted customer answers (on retrieve and on delete): `{id, object: "customer", deleted: true}`."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["customer"])
    deleted = serializers.ChoiceField(choices=[True])


class PaymentMethodCardChecksOutput(serializers.Serializer):
    cvc_check = serializers.CharField(allow_null=True)
    address_line1_check = serializers.CharField(allow_null=True)
    address_postal_code_check = serializers.CharField(allow_null=True)


class PaymentMethodCardOutput(serializers.Serializer):
    brand = serializers.CharField()
    checks = PaymentMethodCardChecksOutput()
    country = serializers.CharField(allow_null=True)
    display_brand = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()
    fingerprint = serializers.CharField()
    funding = serializers.ChoiceField(choices=["credit", "debit", "prepaid", "unknown"])
    last4 = serializers.CharField()
    wallet = serializers.JSONField(allow_null=True)


class PaymentMethodSepaDebitOutput(serializers.Serializer):
    bank_code = serializers.CharField(allow_null=True)
    country = serializers.CharField()
    fingerprint = serializers.CharField()
    last4 = serializers.CharField()


class PaymentMethodUsBankAccountOutput(serializers.Serializer):
    account_holder_type = serializers.CharField()
    account_type = serializers.CharField()
    fingerprint = serializers.CharField()
    last4 = serializers.CharField()
    routing_number = serializers.CharField()


class PaymentMethodWalletOutput(serializers.Serializer):
    type = serializers.CharField()
    fingerprint = serializers.CharField()
    card_brand = serializers.CharField(required=False)
    dynamic_last4 = serializers.CharField(required=False, allow_null=True)
    payer_email = serializers.CharField(required=False, allow_null=True)


class PaymentMethodMicrodepositsOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c for c, _ in MicroDepositVerification.Status.choices])
    attempts_remaining = serializers.IntegerField()
    arrival_date = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()


class PaymentMethodVerificationOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c for c, _ in PaymentMethod.VerificationStatus.choices])
    verified_at = serializers.IntegerField(allow_null=True)
    method = serializers.CharField(allow_null=True)
    microdeposits = PaymentMethodMicrodepositsOutput(required=False)


class PaymentMethodConsentOutput(serializers.Serializer):
    allow_redisplay = serializers.ChoiceField(choices=ALLOW_REDISPLAY_CHOICES)
    collected_at = serializers.IntegerField(allow_null=True)


class PaymentMethodOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(default="payment_method")
    type = PaymentMethodTypeField()
    allow_redisplay = serializers.ChoiceField(choices=ALLOW_REDISPLAY_CHOICES)
    billing_details = VaultBillingDetailsOutput()
    consent = PaymentMethodConsentOutput()
    created = serializers.IntegerField()
    customer = serializers.CharField(allow_null=True)
    is_default = serializers.BooleanField()
    livemode = serializers.BooleanField()
    metadata = serializers.DictField(child=serializers.CharField())
    nickname = serializers.CharField(allow_null=True)
    verification = PaymentMethodVerificationOutput()
    card = PaymentMethodCardOutput(required=False)
    sepa_debit = PaymentMethodSepaDebitOutput(required=False)
    us_bank_account = PaymentMethodUsBankAccountOutput(required=False)
    apple_pay = PaymentMethodWalletOutput(required=False)
    google_pay = PaymentMethodWalletOutput(required=False)
    paypal = PaymentMethodWalletOutput(required=False)


CustomerListOutput = list_of(CustomerOutput)
PaymentMethodListOutput = list_of(PaymentMethodOutput)


class CustomerSearchOutput(serializers.Serializer):
    object = serializers.CharField(default="search_result")
    url = serializers.CharField()
    has_more = serializers.BooleanField()
    next_page = serializers.CharField(allow_null=True)
    data = CustomerOutput(many=True)
