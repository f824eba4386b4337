from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.currencies import CURRENCIES
from apps.core.rest import AmountField, CurrencyField, MetadataField, StrictIntegerField, StrictSerializer
from apps.payouts.models import PayoutSchedule


class BankAccountCreateInput(StrictSerializer):
    currency = CurrencyField()
    country = serializers.CharField(max_length=2, min_length=2, required=False)
    account_holder_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    account_holder_type = serializers.ChoiceField(
        choices=["individual", "company"], required=False, default="company"
    )
    iban = serializers.CharField(max_length=64, required=False)
    routing_number = serializers.CharField(max_length=16, required=False)
    account_number = serializers.CharField(max_length=34, required=False)
    default_for_currency = serializers.BooleanField(required=False, default=False)
    metadata = MetadataField()


class BankAccountUpdateInput(StrictSerializer):
    account_holder_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    default_for_currency = serializers.BooleanField(required=False)
    metadata = MetadataField()


class PayoutCreateInput(StrictSerializer):
    amount = AmountField()
    currency = CurrencyField()
    destination = serializers.CharField(max_length=64, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    statement_descriptor = serializers.CharField(max_length=22, required=False, allow_blank=True, default="")
    method = serializers.ChoiceField(choices=["standard"], required=False, default="standard")
    metadata = MetadataField()


class PayoutCancelInput(StrictSerializer):
    pass


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
        "description": "Minimum balance per currency, in its smallest unit (minimum_amounts[usd]=5000); "
        "an empty value drops that currency's own minimum, minimum_amounts= drops them all.",
    }
)
class MinimumAmountsField(serializers.Field):
    """{currency: minor units}; "" as a value (or as the whole field) unsets, as metadata does."""

    def to_internal_value(self, data):
        if data in ("", None):
            return None
        if not isinstance(data, dict) or len(data) > len(CURRENCIES):
            raise serializers.ValidationError("Pass minimum_amounts[<currency>]=<amount in minor units>.")
        amounts = AmountField()
        out = {}
        for code, value in data.items():
            if not isinstance(code, str) or code.upper() not in CURRENCIES:
                raise serializers.ValidationError(
                    f"Invalid currency: {str(code)[:8]}. Use a three-letter ISO 4217 code."
                )
            out[code.upper()] = None if value in ("", None) else amounts.to_internal_value(value)
        return out

    def to_representation(self, value):
        return value


class PayoutScheduleInput(StrictSerializer):
    interval = serializers.ChoiceField(choices=PayoutSchedule.Interval.values, required=False)
    weekly_anchor = serializers.ChoiceField(choices=list(PayoutSchedule.WEEKDAYS), required=False)
    monthly_anchor = StrictIntegerField(min_value=1, max_value=31, required=False)
    minimum_amount = AmountField(required=False)
    minimum_amounts = MinimumAmountsField(required=False, allow_null=True)
