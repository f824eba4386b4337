from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.rest import AmountField, CurrencyField, MetadataField, StrictIntegerField, StrictSerializer


@extend_schema_field({"type": "array", "items": {"type": "object"}})
class RulesField(serializers.Field):
    """The ordered rules (apps/routing/rules.py); checked by the service, which names the bad one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, dict) and all(str(k).isdigit() for k in data):
            # form encoding: rules[0][name]=… arrives as {"0": {...}}
            data = [data[k] for k in sorted(data, key=int)]
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class IdListField(RulesField):
    pass


class RuleSetCreateInput(StrictSerializer):
    name = serializers.CharField(max_length=100)
    rules = RulesField()
    default_fallback = IdListField()
    activate = serializers.BooleanField(required=False, default=False)


class RuleSetUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    rules = RulesField()
    default_fallback = IdListField()


class RuleSetActivateInput(StrictSerializer):
    version = StrictIntegerField(required=False, min_value=1, max_value=1_000_000)


class CardInput(StrictSerializer):
    brand = serializers.CharField(max_length=20, required=False, default="")
    country = serializers.CharField(min_length=2, max_length=2, required=False, default="")


class AddressInput(StrictSerializer):
    country = serializers.CharField(min_length=2, max_length=2, required=False, default="")


class BillingInput(StrictSerializer):
    address = AddressInput(required=False)


class PinInput(StrictSerializer):
    connector = serializers.CharField(max_length=40, required=False, default="")


class EvaluateInput(StrictSerializer):
    amount = AmountField()
    currency = CurrencyField()
    payment_method_types = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20, min_length=1
    )
    payment_method_type = serializers.CharField(max_length=40, required=False)
    payment_method = serializers.CharField(max_length=40, required=False)
    card = CardInput(required=False)
    billing_details = BillingInput(required=False)
    capture_method = serializers.ChoiceField(
        choices=["automatic", "manual"], required=False, default="automatic"
    )
    metadata = MetadataField(required=False)
    routing = PinInput(required=False)
    payment_intent = serializers.CharField(
        max_length=40, required=False, default="", help_text="Seeds the split bucket as a real confirm would."
    )
    rule_set = serializers.CharField(
        max_length=40, required=False, help_text="Evaluate this rule set instead of the active one."
    )
    version = StrictIntegerField(required=False, min_value=1, max_value=1_000_000)
