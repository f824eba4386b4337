"""The OpenAPI components of `payloads.py`'s shapes — schema only, field for field (validated
against real payloads by tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .models import BankAccount, Payout, PayoutSchedule


class BankAccountOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["bank_account"])
    account_holder_name = serializers.CharField(allow_null=True)
    account_holder_type = serializers.CharField(help_text="company or individual")
    bank_name = serializers.CharField(allow_null=True)
    country = serializers.CharField()
    currency = serializers.CharField()
    default_for_currency = serializers.BooleanField()
    fingerprint = serializers.CharField()
    last4 = serializers.CharField()
    routing_number = serializers.CharField(allow_null=True)
    type = serializers.ChoiceField(choices=BankAccount.Kind.choices)
    status = serializers.ChoiceField(choices=BankAccount.Status.choices)
    metadata = serializers.DictField(child=serializers.CharField())
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class DeletedBankAccountOutput(serializers.Serializer):
    """What DELETE /v1/bank_accounts/{id} answers."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["bank_account"])
    deleted = serializers.ChoiceField(choices=[True])


class PayoutApprovalOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Payout.Approval.choices)
    approval_request = serializers.CharField(allow_null=True, help_text="The approval request's id.")


class PayoutOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["payout"])
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Payout.Status.choices)
    arrival_date = serializers.IntegerField(allow_null=True)
    automatic = serializers.BooleanField()
    balance_transaction = serializers.CharField(allow_null=True)
    destination = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    failure_code = serializers.CharField(allow_null=True)
    failure_message = serializers.CharField(allow_null=True)
    method = serializers.ChoiceField(choices=Payout.Method.choices)
    statement_descriptor = serializers.CharField(allow_null=True)
    metadata = serializers.DictField(child=serializers.CharField())
    approval = PayoutApprovalOutput()
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()


class PayoutScheduleOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["payout_schedule"])
    interval = serializers.ChoiceField(choices=PayoutSchedule.Interval.choices)
    weekly_anchor = serializers.CharField(help_text="monday … sunday (weekly schedules)")
    monthly_anchor = serializers.IntegerField(min_value=1, max_value=31)
    minimum_amount = serializers.IntegerField(min_value=0)
    minimum_amounts = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text="Per-currency minimums in each currency's minor units, keyed by lower-case ISO code.",
    )
    last_run_on = serializers.IntegerField(allow_null=True)
