from django.db import models

from .ids import generate_id


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(models.Model):
    """Adds the prefixed, time-sortable public id that the API shows as `id`."""

    ID_PREFIX = ""

    public_id = models.CharField(max_length=40, unique=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.public_id

    def save(self, *args, **kwargs):
        self.fill_generated()
        super().save(*args, **kwargs)

    def fill_generated(self) -> None:
        """The values `save` generates (the public id); also called by apps/core/sql.py's inserts."""
        if not self.public_id:
            self.public_id = generate_id(self.ID_PREFIX)


class TenantModel(PublicIdModel, TimeStampedModel):
    """Merchant-owned data: every query goes through a tenant-scoped selector."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)

    class Meta:
        abstract = True


class IdempotencyKey(TimeStampedModel):
    """One stored POST outcome per (merchant, mode, key), kept for IDEMPOTENCY_KEY_TTL_HOURS."""

    class Status(models.TextChoices):
        STARTED = "started"
        COMPLETED = "completed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField()
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "livemode", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class SchedulerHeartbeat(models.Model):
    """Written by a periodic task, so operators (and /ready) can see that beat and a worker run."""

    name = models.CharField(max_length=64, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"
