from django.db import models

from apps.core.models import TenantModel


class Simulation(TenantModel):
    """One simulated acquirer/network event (`POST /v1/test_helpers/simulate`): what was asked,
    when it runs, and what the owning app's inbound handler made of it."""

    ID_PREFIX = "sim"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        APPLIED = "applied"
        IGNORED = "ignored"
        FAILED = "failed"

    type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    run_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=200, blank=True, default="")
    provider_event_id = models.CharField(max_length=100, blank=True, default="")
    inbound_webhook = models.ForeignKey(
        "webhooks.InboundWebhook", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "run_at"], name="devtools_sim_due_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class BulkJob(TenantModel):
    """An uploaded batch of payment intents or refunds, run row by row through the normal
    services by a Celery task (`bulk_job_run_task`); progress and counts are kept here."""

    ID_PREFIX = "bulk"

    class Kind(models.TextChoices):
        PAYMENT_INTENTS = "payment_intents"
        REFUNDS = "refunds"

    class Status(models.TextChoices):
        DRAFT = "draft"  # uploaded in the back office, waiting to be started after the preview
        REQUIRES_APPROVAL = "requires_approval"
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        COMPLETED_WITH_ERRORS = "completed_with_errors"
        CANCELED = "canceled"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.QUEUED)
    source_format = models.CharField(max_length=16)  # json | csv | jsonl
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    succeeded_rows = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    # Sum of the rows' amounts per currency (minor units), for the checker's threshold.
    totals = models.JSONField(default=dict, blank=True)
    actor_type = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True, default="")
    actor_label = models.CharField(max_length=200, blank=True, default="")
    # The API key whose per-merchant rate limit each row counts against.
    api_key_public_id = models.CharField(max_length=40, blank=True, default="")
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="devtools_bulk_status_idx")]
        permissions = [("approve_bulkjob", "Can approve or reject bulk jobs above the approval threshold")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (
            self.Status.COMPLETED,
            self.Status.COMPLETED_WITH_ERRORS,
            self.Status.CANCELED,
        )


class BulkJobRow(models.Model):
    """One row of a job: its parameters, and what running it produced (object or error)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        INVALID = "invalid"  # refused by validation at upload: never run
        CANCELED = "canceled"

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # 1-based, as the merchant counts lines
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    object_id = models.CharField(max_length=40, blank=True, default="")
    object_status = models.CharField(max_length=32, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_param = models.CharField(max_length=64, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="devtools_bulk_row_unique")]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.number} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"{self.job.public_id}:{self.number}"


class AccessReview(models.Model):
    """A periodic review of staff accounts (who has which role, 2FA, dormant accounts), recorded by
    a staff member in the back office; the PCI attestation shows the latest."""

    reviewed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    reviewer_label = models.CharField(max_length=150, editable=False)
    notes = models.TextField(
        help_text="What was checked and what changed (accounts removed, roles narrowed)."
    )
    # The staff facts at the time of the review (counts only, no names), kept with it.
    snapshot = models.JSONField(default=dict, editable=False)

    class Meta:
        ordering = ["-reviewed_at"]
        permissions = [("view_diagnostics", "Can view platform diagnostics and PCI attestations")]

    def __str__(self) -> str:
        return f"Access review {self.reviewed_at:%Y-%m-%d} by {self.reviewer_label}"


class TestClock(TenantModel):
    """A merchant's sandbox clock (`/v1/test_helpers/test_clocks`, Stripe's shape). The merchant's
    test-mode objects created while it exists run on its time: the owners' beat tasks leave them
    alone, and an advance runs the owners' sweepers (apps.core.clock) for them up to `frozen_time`.

    `windows` records, per advance, when it started on the wall clock and the frozen time it set
    (``[{"from": iso, "frozen": iso}]``): an object created in a window has the clock time of
    that window's start, so the advances before it do not age it."""

    __test__ = False  # not a pytest test class
    ID_PREFIX = "clock"

    class Status(models.TextChoices):
        READY = "ready"
        ADVANCING = "advancing"
        INTERNAL_FAILURE = "internal_failure"

    name = models.CharField(max_length=300, blank=True, default="")
    frozen_time = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.READY)
    windows = models.JSONField(default=list)
    # What the last advance did, per sweeper (counts), or the error of an internal failure.
    last_advance = models.JSONField(default=dict, blank=True)
    deletes_after = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One clock per merchant and mode: the windows of two clocks would claim the same objects.
            models.UniqueConstraint(
                fields=["merchant", "livemode"],
                condition=models.Q(deleted_at__isnull=True),
                name="devtools_one_clock_per_merchant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.frozen_time:%Y-%m-%d %H:%M} ({self.status})"
