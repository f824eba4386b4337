from django.conf import settings
from django.db import models

from apps.audit.history import track_config
from apps.core.models import TenantModel, TimeStampedModel


class BankAccount(TenantModel):
    """A merchant's payout destination. The account number / IBAN is encrypted at rest (AES-GCM
    envelope, apps.vault.crypto, bound to this row); only last4 and the routing number are clear."""

    ID_PREFIX = "ba"

    class Kind(models.TextChoices):
        IBAN = "iban"
        US = "us_routing"

    class Status(models.TextChoices):
        NEW = "new"
        VERIFIED = "verified"
        ERRORED = "errored"  # a payout to it failed
        DELETED = "deleted"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    country = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    account_holder_name = models.CharField(max_length=200, blank=True, default="")
    account_holder_type = models.CharField(max_length=16, default="company")
    bank_name = models.CharField(max_length=100, blank=True, default="")
    routing_number = models.CharField(max_length=16, blank=True, default="")
    last4 = models.CharField(max_length=4)
    fingerprint = models.CharField(max_length=64, db_index=True)
    kek_version = models.CharField(max_length=16)
    wrapped_key = models.BinaryField()
    nonce = models.BinaryField()
    ciphertext = models.BinaryField()
    default_for_currency = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "livemode", "public_id"], name="ba_tenant_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "currency"],
                condition=models.Q(default_for_currency=True) & ~models.Q(status="deleted"),
                name="ba_one_default_per_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ••••{self.last4} ({self.currency})"


class Payout(TenantModel):
    ID_PREFIX = "po"

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_TRANSIT = "in_transit"
        PAID = "paid"
        FAILED = "failed"
        CANCELED = "canceled"

    class Approval(models.TextChoices):
        NOT_REQUIRED = "not_required"
        REQUIRED = "required"  # above payout_approval_threshold: waits for a finance approver
        APPROVED = "approved"
        REJECTED = "rejected"

    class Submission(models.TextChoices):
        NOT_SENT = "not_sent"
        SUBMITTING = "submitting"  # marked before the bank call (lock→commit→call→record)
        SUBMITTED = "submitted"

    class Method(models.TextChoices):
        STANDARD = "standard"
        INSTANT = "instant"

    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    approval = models.CharField(max_length=16, choices=Approval.choices, default=Approval.NOT_REQUIRED)
    approval_request_id = models.CharField(max_length=64, blank=True, default="")
    submission = models.CharField(max_length=16, choices=Submission.choices, default=Submission.NOT_SENT)
    destination = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="payouts")
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.STANDARD)
    automatic = models.BooleanField(default=False)
    description = models.CharField(max_length=500, blank=True, default="")
    statement_descriptor = models.CharField(max_length=22, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    balance_transaction_id = models.CharField(max_length=64, blank=True, default="")
    bank_reference = models.CharField(max_length=64, blank=True, default="")
    arrival_date = models.DateField(null=True, blank=True, db_index=True)
    settle_after = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="po_tenant_id"),
            models.Index(fields=["merchant", "livemode", "status", "public_id"], name="po_tenant_status"),
            models.Index(
                fields=["status", "created_at"],
                name="po_open",
                condition=models.Q(status__in=["pending", "in_transit"]),
            ),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="po_amount_positive")]
        permissions = [("approve_payout", "Can approve or reject payouts above the approval threshold")]

    @property
    def bank_key(self) -> str:
        return f"{self.public_id}:payout"


@track_config(exclude=["last_run_on"])
class PayoutSchedule(TimeStampedModel):
    """How a merchant's available balance is swept to its default bank account per currency."""

    class Interval(models.TextChoices):
        MANUAL = "manual"
        DAILY = "daily"
        WEEKLY = "weekly"
        MONTHLY = "monthly"

    WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    interval = models.CharField(max_length=16, choices=Interval.choices, default=Interval.MANUAL)
    weekly_anchor = models.CharField(max_length=10, blank=True, default="monday")
    monthly_anchor = models.PositiveSmallIntegerField(default=1)  # 1..31; short months use their last day
    # Per currency, in that currency's minor units ({"USD": 5000, "JPY": 500}): a currency's balance
    # is swept only once it reaches its own minimum.
    minimum_amounts = models.JSONField(default=dict, blank=True)
    # The first API's single minimum, in minor units of whatever currency is swept: kept for API
    # compatibility, it applies only to currencies without an entry in minimum_amounts.
    minimum_amount = models.BigIntegerField(default=0)
    last_run_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "livemode"], name="payout_schedule_unique"),
            models.CheckConstraint(
                condition=models.Q(monthly_anchor__gte=1, monthly_anchor__lte=31, minimum_amount__gte=0),
                name="payout_schedule_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.interval}"

    def minimum_for(self, currency: str) -> int:
        """The minimum balance (minor units of `currency`) a sweep of that currency waits for."""
        own = (self.minimum_amounts or {}).get((currency or "").upper())
        return int(own) if own is not None else self.minimum_amount
