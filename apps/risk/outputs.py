"""The OpenAPI components of `payloads.py`'s shapes — schema only, field for field (validated
against real payloads by tests/schema/test_payload_schemas.py with every object closed). A charge's
`risk` field is documented with the charge (apps.intents.outputs), which cannot import this app."""

from rest_framework import serializers

from .models import EarlyFraudWarning, Review, RiskDecision, Rule, ValueList

_SCALAR = serializers.JSONField(help_text="A string, an integer, a boolean or null.")


class RiskScoreComponentOutput(serializers.Serializer):
    component = serializers.CharField()
    points = serializers.IntegerField()
    detail = serializers.CharField()


class RiskMatchedRuleOutput(serializers.Serializer):
    id = serializers.CharField()
    action = serializers.ChoiceField(choices=Rule.Action.choices)
    predicate = serializers.CharField()
    values = serializers.DictField(
        child=_SCALAR, help_text="The attributes the predicate read, as it read them."
    )


class RiskDecisionOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["risk.decision"])
    action = serializers.ChoiceField(choices=RiskDecision.Action.choices)
    source = serializers.ChoiceField(choices=RiskDecision.Source.choices)
    rule = serializers.CharField(allow_null=True)
    rule_set_version = serializers.IntegerField(allow_null=True)
    matched_rules = RiskMatchedRuleOutput(many=True)
    risk_score = serializers.IntegerField(min_value=0, max_value=100)
    risk_level = serializers.CharField()
    score_components = RiskScoreComponentOutput(many=True)
    inputs = serializers.DictField(help_text="Every attribute the rules could read for this payment.")
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    charge = serializers.CharField(allow_null=True)
    payment_intent = serializers.CharField(allow_null=True)
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class RiskRuleWarningOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    offset = serializers.IntegerField(allow_null=True)


class RiskRuleOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["risk.rule"])
    action = serializers.ChoiceField(choices=Rule.Action.choices)
    predicate = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    enabled = serializers.BooleanField()
    warnings = RiskRuleWarningOutput(many=True)
    rule_set_version = serializers.IntegerField()
    active = serializers.BooleanField()
    livemode = serializers.BooleanField()


class RiskRuleListOutput(serializers.Serializer):
    """GET /v1/risk/rules: the latest rule set's rules, with its version and whether it is active."""

    object = serializers.ChoiceField(choices=["list"])
    url = serializers.CharField()
    has_more = serializers.BooleanField()
    rule_set_version = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField()
    data = RiskRuleOutput(many=True)


class DeletedRiskRuleOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["risk.rule"])
    deleted = serializers.ChoiceField(choices=[True])
    rule_set_version = serializers.IntegerField()


class ValueListItemOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["radar.value_list_item"])
    value = serializers.CharField()
    value_list = serializers.CharField()
    created = serializers.IntegerField()
    created_by = serializers.CharField()
    livemode = serializers.BooleanField()


class ValueListItemsOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["list"])
    data = ValueListItemOutput(many=True)
    has_more = serializers.BooleanField()
    url = serializers.CharField()


class ValueListOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["radar.value_list"])
    alias = serializers.CharField()
    name = serializers.CharField()
    item_type = serializers.ChoiceField(choices=ValueList.ItemType.choices)
    created = serializers.IntegerField()
    created_by = serializers.CharField()
    metadata = serializers.DictField(child=serializers.CharField())
    livemode = serializers.BooleanField()
    list_items = ValueListItemsOutput(required=False, help_text="On create and retrieve.")


class DeletedValueListOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["radar.value_list"])
    deleted = serializers.ChoiceField(choices=[True])


class DeletedValueListItemOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["radar.value_list_item"])
    deleted = serializers.ChoiceField(choices=[True])


class ReviewOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["review"])
    charge = serializers.CharField()
    payment_intent = serializers.CharField()
    open = serializers.BooleanField()
    opened_reason = serializers.ChoiceField(choices=["rule", "manual"])
    closed_reason = serializers.ChoiceField(choices=Review.ClosedReason.choices, allow_null=True)
    reason = serializers.CharField(help_text="rule, manual, approved, refunded, …")
    held = serializers.BooleanField(help_text="Authorized only; captured when approved.")
    authorization_expires_at = serializers.IntegerField(allow_null=True)
    ip_address = serializers.CharField(allow_null=True)
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class EarlyFraudWarningOutput(serializers.Serializer):
    """Stripe's ``radar.early_fraud_warning`` (payloads.early_fraud_warning_to_dict)."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["radar.early_fraud_warning"])
    actionable = serializers.BooleanField()
    charge = serializers.CharField()
    created = serializers.IntegerField()
    fraud_type = serializers.ChoiceField(choices=EarlyFraudWarning.FraudType.choices)
    livemode = serializers.BooleanField()
    payment_intent = serializers.CharField()
