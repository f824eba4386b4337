from django.db import models

from apps.core.models import TenantModel


class DailyMetric(models.Model):
    """Per-day roll-up of the dashboard's figures (long format), so 7- and 30-day views read a few
    hundred rows instead of aggregating millions of payments. Written only by
    `services.daily_metrics_rollup` (a beat task re-rolls recent days); today is always live."""

    class Metric(models.TextChoices):
        SUCCEEDED = "payments_succeeded"  # key: currency; count, amount (amount_received)
        ATTEMPTS = "charge_attempts"  # authorized + failed attempts
        AUTHORIZED = "charge_authorized"
        DECLINES = "declines"  # key: decline code
        REFUNDS = "refunds"  # key: currency; count, amount (not failed/canceled)
        DELIVERIES = "deliveries_finished"
        DELIVERIES_FAILED = "deliveries_failed"

    day = models.DateField()
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    metric = models.CharField(max_length=32, choices=Metric.choices)
    key = models.CharField(max_length=64, blank=True, default="")
    count = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "merchant", "livemode", "metric", "key"], name="daily_metric_unique"
            ),
        ]
        indexes = [models.Index(fields=["day", "metric"], name="daily_metric_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.count}"


class RolledUpDay(models.Model):
    """Which days have been rolled up (the dashboard reads roll-ups only for these)."""

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.day)


class ReportingSettings(models.Model):
    """The merchant's reporting time zone: the default of the metrics API and report runs, so
    their day boundaries agree (a request may still name another zone)."""

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="reporting_settings"
    )
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        verbose_name_plural = "reporting settings"

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.timezone}"


class MetricHour(models.Model):
    """Additive counters of one UTC hour per merchant, mode and dimension set: what the metrics API
    reads for closed hours (`apps.reporting.metrics`). Written only by `metric_hours_rollup`, from
    the same aggregation the API runs live, so roll-up and live figures cannot disagree in shape.
    Payment grain counts PaymentIntents by their creation hour (dimensions of the latest attempt);
    attempt grain counts Charges by theirs; refunds, disputes and settlements by their own."""

    hour = models.DateTimeField()
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    connector = models.CharField(max_length=40, blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="")
    payment_method_type = models.CharField(max_length=32, blank=True, default="")
    card_brand = models.CharField(max_length=32, blank=True, default="")
    decline_code = models.CharField(max_length=64, blank=True, default="")
    payments = models.BigIntegerField(default=0)
    payments_succeeded = models.BigIntegerField(default=0)
    attempts = models.BigIntegerField(default=0)
    attempts_authorized = models.BigIntegerField(default=0)
    attempts_declined = models.BigIntegerField(default=0)
    attempts_challenged = models.BigIntegerField(default=0)
    refunds = models.BigIntegerField(default=0)
    disputes = models.BigIntegerField(default=0)
    chargebacks = models.BigIntegerField(default=0)
    settlements = models.BigIntegerField(default=0)
    settlement_delay_seconds = models.BigIntegerField(default=0)

    COUNTERS = (
        "payments",
        "payments_succeeded",
        "attempts",
        "attempts_authorized",
        "attempts_declined",
        "attempts_challenged",
        "refunds",
        "disputes",
        "chargebacks",
        "settlements",
        "settlement_delay_seconds",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "merchant",
                    "livemode",
                    "hour",
                    "connector",
                    "currency",
                    "payment_method_type",
                    "card_brand",
                    "decline_code",
                ],
                name="metric_hour_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.merchant_id}"


class RolledUpHour(models.Model):
    """Which UTC hours the metrics roll-up covers (the API reads MetricHour only for these)."""

    hour = models.DateTimeField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h"


class ReportRun(TenantModel):
    """One run of a report type over [interval_start, interval_end) (Stripe's reporting.report_run).

    `pending → succeeded | failed`, changed only by `apps.reporting.services.report_runs`. The file
    is streamed by a Celery task; `rows_written` / `rows_estimated` is the progress a person sees."""

    ID_PREFIX = "rr"

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Format(models.TextChoices):
        CSV = "csv"
        JSONL = "jsonl"
        PARQUET = "parquet"

    report_type = models.CharField(max_length=80)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    parameters = models.JSONField(default=dict)
    parameters_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    rows_written = models.BigIntegerField(default=0)
    rows_estimated = models.BigIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="report_runs/", blank=True, max_length=200)
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    manifest = models.JSONField(null=True, blank=True)
    requested_by = models.CharField(max_length=200, blank=True, default="")
    # The schedule that made the run (None: asked for through the API or the admin).
    schedule = models.ForeignKey(
        "reporting.ReportSchedule", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "public_id"], name="rr_tenant_id")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.report_type} ({self.status})"


class ReportSchedule(TenantModel):
    """A report type run on a schedule (daily / weekly / monthly) over the last whole period of
    the schedule's time zone, `delay_seconds` after it ends (late writes land first). Beat's
    `report_schedules_run_due` makes the run; its `reporting.report_run.succeeded` event, with
    the signed, expiring file URL, reaches `webhook_endpoint` (which must subscribe to it).
    Changed only by `apps.reporting.services.schedules`."""

    ID_PREFIX = "rsch"

    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"  # ISO weeks, Monday to Monday
        MONTHLY = "monthly"

    report_type = models.CharField(max_length=80)
    format = models.CharField(max_length=8, choices=ReportRun.Format.choices, default=ReportRun.Format.CSV)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    timezone = models.CharField(max_length=64)
    # The run's other parameters: columns and the type's filters.
    parameters = models.JSONField(default=dict, blank=True)
    webhook_endpoint = models.ForeignKey(
        "webhooks.WebhookEndpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delay_seconds = models.PositiveIntegerField(default=3600)
    active = models.BooleanField(default=True)
    # The next period to run: [next_interval_start, next_interval_end), run at next_run_at.
    next_interval_start = models.DateTimeField()
    next_interval_end = models.DateTimeField()
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["active", "next_run_at"], name="rsch_due")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.report_type} {self.frequency}"


class SettlementSignOff(models.Model):
    """Finance's sign-off of one day's settlement report of a merchant, mode, connector and
    currency: the figures as signed are kept, so a later change of the day shows as a difference."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    day = models.DateField()
    connector = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    figures = models.JSONField()
    signed_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "day", "connector", "currency"],
                name="settlement_signoff_unique",
            ),
        ]
        permissions = [("signoff_settlement", "Can sign off the daily settlement report")]

    def __str__(self) -> str:
        return f"{self.day} {self.connector} {self.currency}"
