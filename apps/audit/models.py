from django.db import models


class AuditEntry(models.Model):
    """Append-only record of every staff action and configuration change.

    PostgreSQL refuses UPDATE and DELETE on this table (trigger in migration 0002)."""

    class ActorType(models.TextChoices):
        STAFF = "staff"
        API_KEY = "api_key"
        SYSTEM = "system"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
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
    )
    action = models.CharField(max_length=100, db_index=True)
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
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_type", "actor_id"], name="audit_actor_idx"),
            models.Index(fields=["merchant", "created_at"], name="audit_merchant_time_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.action} by {self.actor_label or self.actor_type} at {self.created_at:%Y-%m-%d %H:%M:%S}"
        )
