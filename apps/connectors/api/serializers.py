from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.rest import AmountField, CurrencyField, StrictSerializer


@extend_schema_field({"type": "object", "additionalProperties": True})
class ObjectField(serializers.Field):
    """A nested object (`credentials[...]`, `capabilities[...]`, `config[...]`); its fields are
    checked by the service, which names the bad one."""

    default_error_messages = {"not_a_dict": "This value must be an object."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data in ("", None):
            return {}
        if not isinstance(data, dict):
            self.fail("not_a_dict")
        return dict(data)

    def to_representation(self, value):
        return value


class ConnectorCreateInput(StrictSerializer):
    type = serializers.CharField(max_length=40, help_text="A provider type of GET /v1/providers.")
    label = serializers.CharField(max_length=100)
    credentials = ObjectField(help_text="Provider credentials; encrypted at once, shown back masked only.")
    capabilities = ObjectField(help_text="Narrows the provider's capability matrix for this account.")
    config = ObjectField(help_text="Non-secret provider settings (the sandbox's behaviour).")


class ConnectorUpdateInput(StrictSerializer):
    label = serializers.CharField(max_length=100, required=False)
    capabilities = ObjectField()
    config = ObjectField()
    status = serializers.ChoiceField(choices=["active", "disabled"], required=False)


class ConnectorRotateInput(StrictSerializer):
    credentials = ObjectField(required=True)


class DiscoverInput(StrictSerializer):
    currency = CurrencyField()
    country = serializers.CharField(min_length=2, max_length=2, required=False)
    payment_method_type = serializers.CharField(max_length=40, required=False, default="card")
    card_brand = serializers.CharField(max_length=20, required=False, default="")
    amount = AmountField(required=False)
    capture_method = serializers.ChoiceField(
        choices=["automatic", "manual"], required=False, default="automatic"
    )


class SettlementRunInput(StrictSerializer):
    date = serializers.DateField(required=False, help_text="The settlement day (default: yesterday, UTC).")
