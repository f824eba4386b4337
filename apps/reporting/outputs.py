"""The OpenAPI components of `payloads.py`'s shapes (and the metrics and settlement report answers)
— schema only, field for field (validated against real payloads by
tests/schema/test_payload_schemas.py with every object closed)."""

from rest_framework import serializers

from .models import ReportRun, ReportSchedule
from .settlement import CATEGORIES

COLUMN_KINDS = ["string", "int", "amount", "decimal", "timestamp", "local_time", "bool", "date", "json"]


class ReportRunFileOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["file"])
    filename = serializers.CharField()
    type = serializers.ChoiceField(choices=ReportRun.Format.choices)
    size = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField()
    url = serializers.CharField(help_text="The signed download link, relative to the API.")
    download_url = serializers.CharField(help_text="The same signed link, absolute.")
    expires_at = serializers.IntegerField()


class ReportRunProgressOutput(serializers.Serializer):
    rows_written = serializers.IntegerField()
    rows_estimated = serializers.IntegerField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)


class ReportColumnKindOutput(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=COLUMN_KINDS)


class ReportRunManifestOutput(serializers.Serializer):
    report_run = serializers.CharField()
    report_type = serializers.CharField()
    report_type_version = serializers.IntegerField()
    schema_version = serializers.CharField()
    format = serializers.ChoiceField(choices=ReportRun.Format.choices)
    parameters = serializers.DictField()
    parameters_hash = serializers.CharField()
    columns = ReportColumnKindOutput(many=True)
    row_count = serializers.IntegerField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    interval_closed = serializers.BooleanField()
    previous_run = serializers.CharField(allow_null=True)
    previous_sha256 = serializers.CharField(allow_null=True)
    changed_since_previous = serializers.BooleanField(allow_null=True)


class ReportRunOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["reporting.report_run"])
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()
    report_type = serializers.CharField()
    format = serializers.ChoiceField(choices=ReportRun.Format.choices)
    parameters = serializers.DictField(help_text="interval_start, interval_end, columns, filters.")
    status = serializers.ChoiceField(choices=ReportRun.Status.choices)
    error = serializers.CharField(allow_null=True)
    progress = ReportRunProgressOutput()
    result = ReportRunFileOutput(allow_null=True)
    manifest = ReportRunManifestOutput(allow_null=True)
    schedule = serializers.CharField(allow_null=True)
    succeeded_at = serializers.IntegerField(allow_null=True)
    failed_at = serializers.IntegerField(allow_null=True)


class ReportColumnOutput(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=COLUMN_KINDS)
    description = serializers.CharField(allow_blank=True)


class ReportTypeOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["reporting.report_type"])
    name = serializers.CharField()
    version = serializers.IntegerField()
    grain = serializers.CharField(help_text="What one row is: payment, refund, balance_transaction, …")
    data_available_start = serializers.IntegerField()
    data_available_end = serializers.IntegerField()
    default_columns = serializers.ListField(child=serializers.CharField())
    columns = ReportColumnOutput(many=True)
    filters = serializers.ListField(child=serializers.CharField())
    livemode = serializers.BooleanField()


class ReportScheduleOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["reporting.report_schedule"])
    created = serializers.IntegerField()
    livemode = serializers.BooleanField()
    report_type = serializers.CharField()
    format = serializers.ChoiceField(choices=ReportRun.Format.choices)
    frequency = serializers.ChoiceField(choices=ReportSchedule.Frequency.choices)
    timezone = serializers.CharField()
    parameters = serializers.DictField(help_text="columns and filters of each run.")
    webhook_endpoint = serializers.CharField(allow_null=True)
    delay_seconds = serializers.IntegerField()
    active = serializers.BooleanField()
    next_interval_start = serializers.IntegerField(allow_null=True)
    next_interval_end = serializers.IntegerField(allow_null=True)
    next_run_at = serializers.IntegerField(allow_null=True)
    last_run_at = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)


class DeletedReportScheduleOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["reporting.report_schedule"])
    deleted = serializers.ChoiceField(choices=[True])


# The figures of an acquirer line per category (apps.reporting.settlement.CATEGORIES): the amounts
# flat in the line (minor units), the counts under `counts`.
SettlementCategoryCountsOutput = type(
    "SettlementCategoryCountsOutput",
    (serializers.Serializer,),
    {name: serializers.IntegerField() for name in CATEGORIES},
)
SettlementAcquirerOutput = type(
    "SettlementAcquirerOutput",
    (serializers.Serializer,),
    {
        "connector": serializers.CharField(allow_null=True),
        "currency": serializers.CharField(),
        **{name: serializers.IntegerField() for name in CATEGORIES},
        "fees": serializers.IntegerField(),
        "net": serializers.IntegerField(),
        "counts": SettlementCategoryCountsOutput(),
    },
)


class SettlementPayoutBridgeOutput(serializers.Serializer):
    currency = serializers.CharField()
    opening_balance = serializers.IntegerField()
    activity = serializers.IntegerField()
    payouts = serializers.IntegerField()
    closing_balance = serializers.IntegerField()
    balanced = serializers.BooleanField()
    bank_credits = serializers.ListField(child=serializers.DictField())
    residuals = serializers.ListField(
        child=serializers.DictField(),
        help_text="Unexplained differences (open reconciliation discrepancies).",
    )


class SettlementReportOutput(serializers.Serializer):
    object = serializers.ChoiceField(choices=["reporting.settlement_report"])
    date = serializers.DateField()
    timezone = serializers.CharField()
    interval_start = serializers.IntegerField()
    interval_end = serializers.IntegerField()
    acquirers = SettlementAcquirerOutput(many=True)
    payout_bridge = SettlementPayoutBridgeOutput(many=True)
    reserve = serializers.JSONField(allow_null=True, help_text="Always null: no reserves are held.")


class MetricDescriptionOutput(serializers.Serializer):
    grain = serializers.CharField()
    unit = serializers.CharField()
    source = serializers.ChoiceField(
        choices=["live"], required=False, help_text="Latency percentiles: computed from the attempts."
    )


_VALUES = serializers.DictField(
    child=serializers.FloatField(allow_null=True),
    help_text="Each metric's value (null: nothing to divide by).",
)
_COUNTS = serializers.DictField(
    child=serializers.IntegerField(), help_text="The counters the values are computed from."
)


class MetricsBucketOutput(serializers.Serializer):
    bucket_start = serializers.IntegerField()
    bucket_end = serializers.IntegerField()
    bucket = serializers.DateTimeField(help_text="The bucket's start in the requested time zone.")
    dimensions = serializers.DictField(child=serializers.CharField(allow_null=True, allow_blank=True))
    values = _VALUES
    counts = _COUNTS


class MetricsTotalsOutput(serializers.Serializer):
    values = _VALUES
    counts = _COUNTS


class MetricsSourcesOutput(serializers.Serializer):
    rollup = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, min_length=2, max_length=2,
        help_text="[start, end) read from the hourly rollups, or null.",
    )  # fmt: skip
    live = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="The [start, end) spans computed live.",
    )


# `from` is a Python keyword: the fields are given as a mapping.
ReportingMetricsOutput = type(
    "ReportingMetricsOutput",
    (serializers.Serializer,),
    {
        "object": serializers.ChoiceField(choices=["reporting.metrics"]),
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "timezone": serializers.CharField(),
        "granularity": serializers.CharField(),
        "group_by": serializers.ListField(child=serializers.CharField()),
        "metrics": serializers.DictField(child=MetricDescriptionOutput()),
        "data": MetricsBucketOutput(many=True),
        "totals": MetricsTotalsOutput(),
        "sources": MetricsSourcesOutput(),
    },
)
