from django.conf import settings
from django.db import models

from apps.core.models import PublicIdModel, TimeStampedModel


class ApprovalRequest(PublicIdModel, TimeStampedModel):
    """Maker-checker: an action that a second staff member must approve before its service runs."""

    ID_PREFIX = "apr"

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"  # decided; the action is queued, running, or was interrupted (resumed)
        REJECTED = "rejected"
        EXECUTED = "executed"
        FAILED = "failed"  # approved, but the executor raised: see `error`
        CANCELED = "canceled"

    kind = models.CharField(max_length=64, db_index=True)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    reason = models.TextField()
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by_label = models.CharField(max_length=200)
    requested_by_actor = models.CharField(max_length=100, blank=True, default="")  # "<type>:<id>"
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    # When a worker claimed the decided action (execute or reject hook); set under the row lock so
    # the action starts once. A claim left by a dead worker goes stale and is resumed.
    execution_started_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "kind", "created_at"], name="apr_queue"),
            models.Index(fields=["target_type", "target_id"], name="apr_target"),
            models.Index(fields=["merchant", "livemode", "public_id"], name="apr_tenant_id"),
        ]
        constraints = [
            # One open request per target and kind.
            models.UniqueConstraint(
                fields=["kind", "target_type", "target_id"],
                condition=models.Q(status="pending"),
                name="apr_one_pending_per_target",
            ),
        ]
        permissions = [("decide_approvalrequest", "Can approve or reject approval requests")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} {self.target_id}"
