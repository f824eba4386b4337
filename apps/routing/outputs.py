"""The OpenAPI components of `payloads.py`'s shapes (rule sets, decisions) and of the decision
record charges carry as `routing` — schema only, field for field (validated against real payloads
by tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .rules import LIST_CONDITIONS


class RoutingCandidateOutput(serializers.Serializer):
    connector = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    eligible = serializers.BooleanField()
    reason = serializers.CharField(
        allow_null=True, help_text="currency_not_supported, disabled, circuit_open, …"
    )
    circuit = serializers.CharField()


class RoutingRuleEvaluatedOutput(serializers.Serializer):
    rule = serializers.CharField()
    matched = serializers.BooleanField()
    failed_condition = serializers.CharField(allow_null=True)


class RoutingSplitOutput(serializers.Serializer):
    bucket = serializers.IntegerField()
    of = serializers.IntegerField()
    weights = serializers.DictField(child=serializers.IntegerField())
    excluded = serializers.ListField(child=serializers.CharField())


class RoutingFailoverOutput(serializers.Serializer):
    previous_charge = serializers.CharField()
    previous_connector = serializers.CharField()
    reason = serializers.CharField()
    code = serializers.CharField()


class ChargeRoutingOutput(serializers.Serializer):
    """Why an attempt went to its connector: the decision record of apps.routing.engine.decide
    (and failover_record), kept on the charge as `routing`."""

    schema = serializers.IntegerField(help_text="The record's format version.")
    rule_set = serializers.CharField(allow_null=True)
    rule_set_version = serializers.IntegerField(allow_null=True)
    matched_rule = serializers.CharField(allow_null=True)
    matched_by = serializers.ChoiceField(choices=["rule", "fallback", "pinned"], allow_null=True)
    strategy = serializers.ChoiceField(choices=["priority", "volume_split"])
    split = RoutingSplitOutput(allow_null=True)
    rules_evaluated = RoutingRuleEvaluatedOutput(many=True)
    candidates = RoutingCandidateOutput(many=True)
    order = serializers.ListField(child=serializers.CharField())
    connector = serializers.CharField(allow_null=True)
    attempt = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    failover = RoutingFailoverOutput(allow_null=True)
    decided_at = serializers.IntegerField()
    pinned_reason = serializers.CharField(required=False)
    fallback_reason = serializers.CharField(required=False)


class RoutingDecisionOutput(ChargeRoutingOutput):
    """POST /v1/routing/evaluate: the decision a payment would get (a dry run)."""

    object = serializers.ChoiceField(choices=["routing.decision"])


def _condition_fields() -> dict:
    lists = {
        key: serializers.ListField(child=serializers.CharField(), required=False) for key in LIST_CONDITIONS
    }
    return {
        "__doc__": "Every condition given must hold; an absent one matches anything (apps.routing.rules).",
        **lists,
        "amount_gte": serializers.IntegerField(required=False),
        "amount_lte": serializers.IntegerField(required=False),
        "capture_method": serializers.ChoiceField(choices=["automatic", "manual"], required=False),
        "metadata": serializers.DictField(
            child=serializers.CharField(allow_null=True),
            required=False,
            help_text="null: the key is present.",
        ),
    }


RoutingConditionsOutput = type("RoutingConditionsOutput", (serializers.Serializer,), _condition_fields())


class RoutingSplitMemberOutput(serializers.Serializer):
    connector = serializers.CharField()
    weight = serializers.IntegerField()


class RoutingRuleOutput(serializers.Serializer):
    """A priority rule lists `connectors` (in failover order); a volume split lists `split`."""

    name = serializers.CharField()
    conditions = RoutingConditionsOutput()
    connectors = serializers.ListField(child=serializers.CharField(), required=False)
    split = RoutingSplitMemberOutput(many=True, required=False)


class RoutingRuleSetOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["routing.rule_set"])
    name = serializers.CharField()
    active = serializers.BooleanField()
    active_version = serializers.IntegerField(allow_null=True)
    latest_version = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The version shown (default: the latest).")
    rules = RoutingRuleOutput(many=True)
    default_fallback = serializers.ListField(child=serializers.CharField())
    version_created = serializers.IntegerField()
    activated_at = serializers.IntegerField(allow_null=True)
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()
