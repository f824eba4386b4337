"""The OpenAPI components of the ledger's public shapes — schema only, one serializer per dict that
`payloads.py` builds, field for field (tests/schema/test_payload_schemas.py validates real payloads
against the generated document with every object closed, so a key added on one side only fails).
They live beside the payloads, not in `api/`, because disputes embed balance transactions."""

from rest_framework import serializers

from .models import BalanceTransaction, CaptureRecord


class FeeDetailOutput(serializers.Serializer):
    type = serializers.CharField(help_text="application_fee, split, split_reversal, dispute_fee, …")
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    description = serializers.CharField()


class BalanceAmountOutput(serializers.Serializer):
    amount = serializers.IntegerField()
    currency = serializers.CharField()


class BalanceOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["balance"])
    livemode = serializers.BooleanField()
    available = BalanceAmountOutput(many=True)
    pending = BalanceAmountOutput(many=True)
    reserved = BalanceAmountOutput(many=True)


class BalanceTransactionOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["balance_transaction"])
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    fee = serializers.IntegerField()
    fee_details = FeeDetailOutput(many=True)
    net = serializers.IntegerField()
    type = serializers.ChoiceField(choices=BalanceTransaction.Type.choices)
    status = serializers.ChoiceField(choices=BalanceTransaction.Status.choices)
    source = serializers.CharField(allow_null=True, help_text="The id of the object that moved the money.")
    payout = serializers.CharField(allow_null=True)
    exchange_rate = serializers.CharField(allow_null=True, help_text="A decimal string, when converted.")
    description = serializers.CharField(allow_null=True)
    available_on = serializers.IntegerField()
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class CaptureFxOutput(serializers.Serializer):
    """A charge's `fx` block (`capture_fx_payload`): `rate`/`rate_as_of` when converted,
    `rate: null` and `flagged_for_finance` when no rate was found."""

    status = serializers.ChoiceField(
        choices=[CaptureRecord.FxStatus.CONVERTED, CaptureRecord.FxStatus.RATE_MISSING]
    )
    source_currency = serializers.CharField()
    source_amount = serializers.IntegerField()
    settlement_currency = serializers.CharField()
    settlement_amount = serializers.IntegerField()
    converted_at = serializers.IntegerField()
    rate = serializers.CharField(allow_null=True, help_text="A decimal string.")
    rate_as_of = serializers.IntegerField(required=False, allow_null=True)
    flagged_for_finance = serializers.BooleanField(required=False)
