from django.conf import settings
from django.db import models

from apps.core.models import TenantModel


class Refund(TenantModel):
    ID_PREFIX = "re"

    class Status(models.TextChoices):
        REQUIRES_APPROVAL = "requires_approval"
        PENDING = "pending"
        REQUIRES_ACTION = "requires_action"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    class Reason(models.TextChoices):
        DUPLICATE = "duplicate"
        FRAUDULENT = "fraudulent"
        REQUESTED_BY_CUSTOMER = "requested_by_customer"
        PRODUCT_RETURN = "product_return"

    class Submission(models.TextChoices):
        NOT_SENT = "not_sent"  # waiting for approval, or the provider refused before processing
        SUBMITTING = "submitting"  # marked before the provider call (lock→commit→call→record)
        UNKNOWN = "unknown"  # the call timed out: ask the provider (re-check janitor)
        ACCEPTED = "accepted"  # the provider took it and will answer later (pending)
        DONE = "done"  # final answer recorded

    payment_intent = models.ForeignKey(
        "intents.PaymentIntent", on_delete=models.PROTECT, related_name="refunds"
    )
    charge = models.ForeignKey("intents.Charge", on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    submission = models.CharField(max_length=16, choices=Submission.choices, default=Submission.NOT_SENT)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    failure_reason = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    # Approval step (above the merchant's refund_approval_threshold).
    requested_by = models.CharField(max_length=200, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="re_tenant_id"),
            models.Index(
                fields=["status", "updated_at"],
                name="re_open",
                condition=models.Q(status__in=["requires_approval", "pending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="re_amount_positive"),
        ]
        permissions = [("approve_refund", "Can approve or reject refunds above the approval threshold")]

    @property
    def provider_key(self) -> str:
        return f"{self.public_id}:refund"

    @property
    def counts_against_capture(self) -> bool:
        return self.status not in (self.Status.FAILED, self.Status.CANCELED)


class RefundApprovalQueue(Refund):
    """The refunds waiting for a support lead (admin queue; same rows as Refund)."""

    class Meta:
        proxy = True
        verbose_name = "refund awaiting approval"
        verbose_name_plural = "refund approval queue"
