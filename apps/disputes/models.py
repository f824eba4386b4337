from django.db import models

from apps.core.models import TenantModel

# Stripe's evidence fields (https://docs.stripe.com/api/disputes/object#dispute_object-evidence).
EVIDENCE_TEXT_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_tracking_number",
    "uncategorized_text",
)
EVIDENCE_FILE_FIELDS = (
    "cancellation_policy",
    "customer_communication",
    "customer_signature",
    "duplicate_charge_documentation",
    "receipt",
    "refund_policy",
    "service_documentation",
    "shipping_documentation",
    "uncategorized_file",
)
EVIDENCE_FIELDS = EVIDENCE_TEXT_FIELDS + EVIDENCE_FILE_FIELDS


class Dispute(TenantModel):
    ID_PREFIX = "dp"

    class Status(models.TextChoices):
        WARNING_NEEDS_RESPONSE = "warning_needs_response"
        WARNING_UNDER_REVIEW = "warning_under_review"
        WARNING_CLOSED = "warning_closed"
        NEEDS_RESPONSE = "needs_response"
        UNDER_REVIEW = "under_review"
        WON = "won"
        LOST = "lost"
        PREVENTED = "prevented"

    class Reason(models.TextChoices):
        BANK_CANNOT_PROCESS = "bank_cannot_process"
        CHECK_RETURNED = "check_returned"
        CREDIT_NOT_PROCESSED = "credit_not_processed"
        CUSTOMER_INITIATED = "customer_initiated"
        DEBIT_NOT_AUTHORIZED = "debit_not_authorized"
        DUPLICATE = "duplicate"
        FRAUDULENT = "fraudulent"
        GENERAL = "general"
        INCORRECT_ACCOUNT_DETAILS = "incorrect_account_details"
        INSUFFICIENT_FUNDS = "insufficient_funds"
        PRODUCT_NOT_RECEIVED = "product_not_received"
        PRODUCT_UNACCEPTABLE = "product_unacceptable"
        SUBSCRIPTION_CANCELED = "subscription_canceled"
        UNRECOGNIZED = "unrecognized"

    class CaseType(models.TextChoices):
        CHARGEBACK = "chargeback"
        INQUIRY = "inquiry"

    payment_intent = models.ForeignKey(
        "intents.PaymentIntent", on_delete=models.PROTECT, related_name="disputes"
    )
    charge = models.ForeignKey("intents.Charge", on_delete=models.PROTECT, related_name="disputes")
    connector = models.ForeignKey("connectors.Connector", on_delete=models.PROTECT, related_name="+")
    connector_dispute_id = models.CharField(max_length=100)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=32, choices=Status.choices)
    reason = models.CharField(max_length=32, choices=Reason.choices, default=Reason.GENERAL)
    case_type = models.CharField(max_length=16, choices=CaseType.choices, default=CaseType.CHARGEBACK)
    network_reason_code = models.CharField(max_length=16, blank=True, default="")
    # The card network (the charge's card brand): picks the deadline window and filters the queue.
    network = models.CharField(max_length=16, blank=True, default="")
    # What the connector said, beside the unified values above.
    connector_status = models.CharField(max_length=64, blank=True, default="")
    connector_reason = models.CharField(max_length=64, blank=True, default="")
    evidence = models.JSONField(default=dict, blank=True)
    due_by = models.DateTimeField(null=True, blank=True, db_index=True)
    past_due = models.BooleanField(default=False)
    submission_count = models.PositiveSmallIntegerField(default=0)
    # The deadline job's reminders, each sent once (set under the row lock with its event).
    reminded_5d_at = models.DateTimeField(null=True, blank=True)
    reminded_24h_at = models.DateTimeField(null=True, blank=True)
    is_charge_refundable = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    # The ledger: whether the disputed funds are out of the merchant's balance now, and which
    # withdrawal round they belong to (a won→lost flip withdraws again under a new round).
    funds_withdrawn = models.BooleanField(default=False)
    ledger_round = models.PositiveSmallIntegerField(default=0)
    network_created_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Whether the fee was refunded with the reinstatement (the merchant's fee policy at the win).
    fee_refunded = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="dp_tenant_id"),
            models.Index(
                fields=["due_by"],
                name="dp_open_due",
                condition=models.Q(status__in=["needs_response", "warning_needs_response"], past_due=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["connector", "connector_dispute_id"], name="dp_connector_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dp_amount_positive"),
        ]
        permissions = [
            ("submit_dispute", "Can submit a dispute's evidence (the one submission)"),
            ("accept_dispute", "Can approve accepting a dispute"),
        ]

    @property
    def has_evidence(self) -> bool:
        return any(self.evidence.get(name) for name in EVIDENCE_FIELDS)

    @property
    def is_inquiry(self) -> bool:
        return self.case_type == self.CaseType.INQUIRY

    def ledger_key(self, round_: int | None = None) -> str:
        """The ledger's dispute id of a withdrawal round: round 0 is the dispute's own id."""
        round_ = self.ledger_round if round_ is None else round_
        return self.public_id if round_ == 0 else f"{self.public_id}~{round_}"


class DisputeSettings(models.Model):
    """A merchant's dispute fee policy (apps/disputes/fees.py): fees per settlement currency in
    minor units (e.g. {"USD": 1500}), and whether a win refunds the fee (empty: the platform's)."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    fees = models.JSONField(default=dict, blank=True)
    fee_refunded_on_win = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "dispute settings"

    def __str__(self) -> str:
        return f"Dispute settings of {self.merchant}"
