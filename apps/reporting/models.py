from django.db import models


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
