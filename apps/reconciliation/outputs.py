"""The OpenAPI components of `payloads.py`'s shapes — schema only, field for field (validated
against real payloads by tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .models import Discrepancy, LedgerItem, ReconciliationRun, SettlementFile, SettlementLine, SettlementSync


class SettlementLineOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["settlement_line"])
    row = serializers.IntegerField(help_text="The line's row number in its settlement file.")
    type = serializers.ChoiceField(choices=SettlementLine.RecordType.choices)
    psp_reference = serializers.CharField(allow_blank=True)
    merchant_reference = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    gross = serializers.IntegerField()
    fee = serializers.IntegerField()
    net = serializers.IntegerField()
    settled_on = serializers.DateField()
    edited = serializers.DictField(
        allow_null=True, help_text="The fields edited by a resolution, with their values before."
    )


class SettlementLineListOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["list"])
    data = SettlementLineOutput(many=True)
    has_more = serializers.BooleanField()


class SettlementOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["settlement"])
    connector = serializers.CharField(help_text="The connector code the batch was settled by.")
    currency = serializers.CharField()
    settled_on = serializers.DateField()
    payout_reference = serializers.CharField(allow_blank=True)
    file = serializers.CharField(help_text="The settlement file's id.")
    livemode = serializers.BooleanField()
    created = serializers.IntegerField()
    gross = serializers.IntegerField(required=False, help_text="Sums over this merchant's own lines.")
    fee = serializers.IntegerField(required=False)
    net = serializers.IntegerField(required=False)
    line_count = serializers.IntegerField(required=False)
    lines = SettlementLineListOutput(required=False, help_text="Retrieve only: this merchant's lines.")


class SettlementFileErrorOutput(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class SettlementFileOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["settlement_file"])
    status = serializers.ChoiceField(choices=SettlementFile.Status.choices)
    format = serializers.ChoiceField(choices=SettlementFile.Format.choices)
    rows = serializers.IntegerField()
    errors = SettlementFileErrorOutput(many=True, allow_null=True)
    settlements = serializers.ListField(child=serializers.CharField(), help_text="The settlements' ids.")


class SettlementSyncOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["settlement_sync"])
    status = serializers.ChoiceField(choices=SettlementSync.Status.choices)
    connector = serializers.CharField(allow_null=True)
    interval_start = serializers.DateField()
    interval_end = serializers.DateField(help_text="Exclusive.")
    result = serializers.DictField(
        allow_null=True, help_text='{"files": [...], "duplicates": [...], "failed": [...], "runs": [...]}'
    )
    livemode = serializers.BooleanField()
    created = serializers.IntegerField()


class ReconciliationProgressOutput(serializers.Serializer):
    items_processed = serializers.IntegerField()
    lines_processed = serializers.IntegerField()
    matched = serializers.IntegerField()
    expected = serializers.IntegerField()
    open = serializers.IntegerField()


class ReconciliationOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["reconciliation"])
    status = serializers.ChoiceField(choices=ReconciliationRun.Status.choices)
    connector = serializers.CharField(allow_null=True)
    interval_start = serializers.DateField()
    interval_end = serializers.DateField(help_text="Exclusive.")
    as_of = serializers.DateField()
    progress = ReconciliationProgressOutput()
    summary = serializers.DictField(
        allow_null=True,
        help_text='{"items": {status: count}, "open_by_type": {type: [...]}, "open_total": n}',
    )
    failure_message = serializers.CharField(allow_null=True)
    livemode = serializers.BooleanField()
    created = serializers.IntegerField()


class DiscrepancyFieldOutput(serializers.Serializer):
    field = serializers.CharField()
    ours = serializers.JSONField(help_text="An integer (minor units), a string or null.")
    theirs = serializers.JSONField(help_text="An integer (minor units), a string or null.")
    difference = serializers.IntegerField(required=False, help_text="theirs - ours, when both are integers.")


class DiscrepancyLedgerItemOutput(serializers.Serializer):
    type = serializers.CharField(help_text="The journal entry's kind.")
    source = serializers.CharField(allow_blank=True)
    amount = serializers.IntegerField()
    status = serializers.ChoiceField(choices=LedgerItem.Status.choices)


class DiscrepancyOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["reconciliation_discrepancy"])
    type = serializers.ChoiceField(choices=Discrepancy.Type.choices)
    status = serializers.ChoiceField(choices=Discrepancy.Status.choices)
    day = serializers.DateField()
    currency = serializers.CharField()
    difference = serializers.IntegerField()
    fields = DiscrepancyFieldOutput(many=True)
    description = serializers.CharField(allow_blank=True)
    ledger = DiscrepancyLedgerItemOutput(allow_null=True)
    settlement_line = SettlementLineOutput(allow_null=True)
    resolution = serializers.ChoiceField(
        choices=[c for c in Discrepancy.Resolution.values if c], allow_null=True
    )
    note = serializers.CharField(allow_null=True)
    awaiting_approval = serializers.BooleanField()
    livemode = serializers.BooleanField()
    created = serializers.IntegerField()
