from django.db import models


class AuditEntry(models.Model):
    """Append-only record of every staff action and configuration change.

    PostgreSQL refuses UPDATE and DELETE on this table (trigger in migration 0002)."""

    class ActorType(models.TextChoices):
        STAFF = "staff"
        API_KEY = "api_key"
        SYSTEM = "system"

    # Indexed by a BRIN index on PostgreSQL (audit migration 0005): rows arrive in created_at
    # order, and the queries on it are ranges (the admin's date filter, the export's window).
    created_at = models.DateTimeField(auto_now_add=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    merchant = models.ForeignKey(
        "merchants.Merchant",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,  # audit_merchant_time_idx leads with it
    )
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-id"]
        # Issue 21: a confirm writes three entries, so each index is named with its query
        # (audit migration 0005 dropped the rest: (object_type, object_id), whose queries all
        # name an object id, which audit_object_id_idx finds alone; (actor_type, actor_id): the
        # admin's actor-type filter has three values, and the export's actor match runs inside
        # its date window or merchant).
        indexes = [
            # the admin's action filter and the export's action prefix (`action LIKE 'refund.%'`),
            # and equality (devtools' last key rotation); one index serves both
            models.Index(fields=["action"], name="audit_action_idx", opclasses=["varchar_pattern_ops"]),
            # the export and the admin filtered by merchant, newest first
            models.Index(fields=["merchant", "created_at"], name="audit_merchant_time_idx"),
            # The back office's exact search box (object id, staff username, request id); the
            # object id also serves a dispute's or approval's history, the workbench's timeline
            # and the janitor's "already escalated" check (intents/services/janitor.py).
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
            models.Index(fields=["actor_label"], name="audit_actor_label_idx"),
            models.Index(fields=["request_id"], name="audit_request_id_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.action} by {self.actor_label or self.actor_type} at {self.created_at:%Y-%m-%d %H:%M:%S}"
        )


class AuditExport(models.Model):
    """A compliance export of audit entries: a job row that a Celery task fills in.

    The files carry a SHA-256 hash chain (each row's hash covers the previous hash), and the manifest
    holds the final hash, so a later edit of an exported file is detectable (`verify_audit_export`)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    requested_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.PROTECT, related_name="audit_exports"
    )
    requested_by_label = models.CharField(max_length=200, blank=True)
    # Filters (all optional): created_at range [date_from, date_to), merchant, actor, action.
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.CharField(
        max_length=200, blank=True, help_text="Actor label or id (exact), e.g. a staff username."
    )
    action = models.CharField(
        max_length=100, blank=True, help_text="Exact action, or a prefix ending with '.' (refund.)."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(default=0)
    final_hash = models.CharField(max_length=64, blank=True)
    csv_file = models.FileField(upload_to="audit_exports/", blank=True)
    jsonl_file = models.FileField(upload_to="audit_exports/", blank=True)
    manifest = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.public_id

    def save(self, *args, **kwargs):
        if not self.public_id:
            from apps.core.ids import generate_id

            self.public_id = generate_id("aex")
        super().save(*args, **kwargs)
