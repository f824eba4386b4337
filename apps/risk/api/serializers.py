from rest_framework import serializers

from apps.core.rest import AmountField, CurrencyField, MetadataField, StrictBooleanField, StrictSerializer
from apps.risk.models import Rule, ValueList


class RuleCreateInput(StrictSerializer):
    action = serializers.ChoiceField(choices=Rule.Action.choices)
    predicate = serializers.CharField(max_length=4000, trim_whitespace=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    activate = StrictBooleanField(required=False, default=True)


class RuleUpdateInput(StrictSerializer):
    action = serializers.ChoiceField(choices=Rule.Action.choices, required=False)
    predicate = serializers.CharField(max_length=4000, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = StrictBooleanField(required=False)
    deleted = StrictBooleanField(required=False)
    activate = StrictBooleanField(required=False, default=True)


class ValueListCreateInput(StrictSerializer):
    alias = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=100)
    item_type = serializers.ChoiceField(choices=ValueList.ItemType.choices, required=False, default="string")
    metadata = MetadataField(required=False)


class ValueListUpdateInput(StrictSerializer):
    alias = serializers.CharField(max_length=100, required=False)
    name = serializers.CharField(max_length=100, required=False)
    metadata = MetadataField(required=False)


class ValueListItemCreateInput(StrictSerializer):
    value_list = serializers.CharField(max_length=64)
    value = serializers.CharField(max_length=800)


class ScoreInput(StrictSerializer):
    amount = AmountField()
    currency = CurrencyField()
    payment_method = serializers.CharField(max_length=64, required=False)
    customer = serializers.CharField(max_length=64, required=False)
    email = serializers.CharField(max_length=512, required=False)
    ip_address = serializers.IPAddressField(required=False, max_length=45)
    ip_country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, max_length=2)
    billing_country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, max_length=2)
    payment_method_type = serializers.CharField(max_length=32, required=False, default="card")
    metadata = MetadataField(required=False)


class ReviewApproveInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
