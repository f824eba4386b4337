import secrets

from django.db import models

from apps.core.models import TenantModel


class PaymentIntent(TenantModel):
    ID_PREFIX = "pi"

    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method"
        REQUIRES_CONFIRMATION = "requires_confirmation"
        REQUIRES_ACTION = "requires_action"
        PROCESSING = "processing"
        REQUIRES_CAPTURE = "requires_capture"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    class CaptureMethod(models.TextChoices):
        AUTOMATIC = "automatic"
        MANUAL = "manual"

    class CancellationReason(models.TextChoices):
        DUPLICATE = "duplicate"
        FRAUDULENT = "fraudulent"
        REQUESTED_BY_CUSTOMER = "requested_by_customer"
        ABANDONED = "abandoned"
        AUTOMATIC = "automatic"  # authorization expired / janitor
        FAILED_INVOICE = "failed_invoice"

    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.REQUIRES_PAYMENT_METHOD)
    capture_method = models.CharField(
        max_length=16, choices=CaptureMethod.choices, default=CaptureMethod.AUTOMATIC
    )
    amount_capturable = models.BigIntegerField(default=0)
    amount_received = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    # Indexed by pi_customer (partial: most payments name no customer).
    customer = models.ForeignKey(
        "vault.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_intents",
        db_index=False,
    )
    payment_method = models.ForeignKey(
        "vault.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="payment_intents"
    )
    payment_method_types = models.JSONField(default=list)
    # A redirect/QR payment method given inline (payment_method_data[type]); no vault object.
    payment_method_data = models.JSONField(null=True, blank=True)
    connector = models.ForeignKey(
        "connectors.Connector", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Not indexed (issue 21): every query follows it forward (intent → charge); nothing looks an
    # intent up by its latest charge, and the column changes on every confirm.
    latest_charge = models.ForeignKey(
        "intents.Charge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    client_secret = models.CharField(max_length=120, editable=False)
    description = models.CharField(max_length=1000, blank=True, default="")
    statement_descriptor = models.CharField(max_length=22, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    # metadata["order_id"], copied to an indexed column so `metadata[order_id]` filters hit an index.
    order_id = models.CharField(max_length=500, blank=True, default="")
    receipt_email = models.EmailField(blank=True, default="")
    return_url = models.URLField(max_length=2048, blank=True, default="")
    setup_future_usage = models.CharField(max_length=16, blank=True, default="")
    off_session = models.BooleanField(default=False)
    request_three_d_secure = models.CharField(max_length=16, blank=True, default="")
    next_action = models.JSONField(null=True, blank=True)
    last_payment_error = models.JSONField(null=True, blank=True)
    cancellation_reason = models.CharField(
        max_length=32, choices=CancellationReason.choices, blank=True, default=""
    )
    canceled_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # Split of the net among beneficiaries: [{"account_type", "account_id", "percentage_bp"}, …];
    # the ledger computes and stores each share's amount ("amount" keys) on capture.
    split = models.JSONField(null=True, blank=True)

    class Meta:
        # Every index here is written on each insert and on each update that is not HOT; the
        # confirm path updates status, amounts, latest_charge, next_action, last_payment_error,
        # succeeded_at and updated_at, so none of those is indexed (issue 21: the step-3 UPDATE
        # is HOT; migration 0006 also sets fillfactor 85 so the new version fits in the page).
        # Status-filtered lists walk pi_tenant_id newest-first and filter (a page of the common
        # statuses is a few index pages; the back office's cross-merchant status filter walks
        # the primary key the same way).
        indexes = [
            # the API's retrieve/list by id within a tenant (selectors.payment_intent_get/list)
            models.Index(fields=["merchant", "livemode", "public_id"], name="pi_tenant_id"),
            # The reference indexes are partial (issue 21, migration 0007): a payment without an
            # order id or a customer writes no entry in them; their queries compare with a
            # non-empty literal, which implies the predicate.
            # list ?order_id= (Stripe-style metadata order lookup) within a tenant
            models.Index(
                fields=["merchant", "livemode", "order_id"],
                name="pi_tenant_order_id",
                condition=~models.Q(order_id=""),
            ),
            # list ?customer= within a tenant
            models.Index(
                fields=["merchant", "livemode", "customer"],
                name="pi_tenant_customer",
                condition=models.Q(customer__isnull=False),
            ),
            # a customer's payments across modes (the vault's customer page, the PROTECT check
            # when a customer is deleted)
            models.Index(fields=["customer"], name="pi_customer", condition=models.Q(customer__isnull=False)),
            # back office: order-id search across merchants (backoffice/search.py)
            models.Index(fields=["order_id"], name="pi_order_id", condition=~models.Q(order_id="")),
        ]
        permissions = [
            ("capture_paymentintent", "Can capture payments from the back office"),
            ("cancel_paymentintent", "Can cancel payments from the back office"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pi_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_received__gte=0, amount_capturable__gte=0, amount_refunded__gte=0),
                name="pi_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount_received")),
                name="pi_refunded_lte_received",
            ),
        ]

    def fill_generated(self) -> None:
        super().fill_generated()
        if not self.client_secret:
            self.client_secret = f"{self.public_id}_secret_{secrets.token_urlsafe(18)}"


class Charge(TenantModel):
    """One attempt: authorization (and capture) record at the connector."""

    ID_PREFIX = "ch"

    class Status(models.TextChoices):
        SUBMITTING = "submitting"  # marked before the provider call; resolved by the janitor after a crash
        UNKNOWN = "unknown"  # the provider call timed out: outcome to be asked for
        PENDING = "pending"  # the provider accepted it and answers later
        REQUIRES_ACTION = "requires_action"  # 3DS challenge / wallet approval pending
        AUTHORIZED = "authorized"  # approved, not captured (manual capture)
        SUCCEEDED = "succeeded"  # captured (fully or partially)
        FAILED = "failed"
        CANCELED = "canceled"  # authorization voided or expired

    class Operation(models.TextChoices):
        NONE = ""
        CAPTURE = "capture"
        VOID = "void"

    payment_intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="charges")
    connector = models.ForeignKey("connectors.Connector", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.SUBMITTING)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    amount_authorized = models.BigIntegerField(default=0)
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    captured = models.BooleanField(default=False)
    # A capture or void sent to the provider and not yet recorded (lock→commit→call→record).
    pending_operation = models.CharField(max_length=16, choices=Operation.choices, blank=True, default="")
    pending_operation_amount = models.BigIntegerField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    payment_method = models.ForeignKey(
        "vault.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_method_type = models.CharField(max_length=32, default="card")
    # Snapshot shown on the charge: brand, last4, exp, funding, country, fingerprint, wallet.
    payment_method_details = models.JSONField(default=dict, blank=True)
    last4 = models.CharField(max_length=4, blank=True, default="")  # indexed: ch_last4
    # Looked up through ChargeReference (selectors.charges_by_gateway_reference), not an index.
    gateway_reference = models.CharField(max_length=100, blank=True, default="")
    authorization_code = models.CharField(max_length=16, blank=True, default="")
    network_transaction_id = models.CharField(max_length=64, blank=True, default="")
    network_code = models.CharField(max_length=8, blank=True, default="")
    failure_code = models.CharField(max_length=64, blank=True, default="")
    decline_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    cvc_check = models.CharField(max_length=16, blank=True, default="")
    address_line1_check = models.CharField(max_length=16, blank=True, default="")
    address_postal_code_check = models.CharField(max_length=16, blank=True, default="")
    three_ds = models.JSONField(null=True, blank=True)
    action_reference = models.CharField(max_length=64, blank=True, default="")  # ch_action_reference
    risk_score = models.SmallIntegerField(null=True, blank=True)
    risk_level = models.CharField(max_length=16, blank=True, default="")
    authorized_at = models.DateTimeField(null=True, blank=True)
    authorization_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    # Filled by the ledger (apps.ledger.services.ledger_record_capture) inside the capture transaction.
    application_fee_amount = models.BigIntegerField(null=True, blank=True)
    fee_details = models.JSONField(null=True, blank=True)
    fx = models.JSONField(null=True, blank=True)
    # Why this attempt went to its connector (apps.routing's decision record; None before routing).
    routing = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="ch_tenant_id"),
            # Not indexed (issue 21): status and gateway_reference, which step 3 of every attempt
            # changes; their lookups go through the side tables below (UnresolvedAttempt,
            # ChargeReference), kept by triggers, so that UPDATE is HOT.
            models.Index(
                fields=["pending_since"], name="ch_pending_op", condition=~models.Q(pending_operation="")
            ),
            # Equality lookups only, so plain b-trees without Django's `_like` twins (issue 21):
            # back-office search by last4 (backoffice/search.py), a 3DS / redirect return by
            # action_reference.
            models.Index(fields=["last4"], name="ch_last4"),
            # Partial (migration 0007): an action reference exists only for 3DS / redirects, and
            # its lookup compares with a non-empty literal.
            models.Index(
                fields=["action_reference"],
                name="ch_action_reference",
                condition=~models.Q(action_reference=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ch_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_captured__lte=models.F("amount")), name="ch_captured_lte_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount_captured")),
                name="ch_refunded_lte_captured",
            ),
        ]

    @property
    def provider_key(self) -> str:
        """Our idempotency key for the authorization at the provider."""
        return f"{self.public_id}:authorize"


# The two lookups of a charge by a column that step 3 of every attempt changes live in side
# tables (issue 21), so that the step-3 charge UPDATE changes no indexed column and is HOT.
# PostgreSQL (and SQLite, the embedded demo) triggers on intents_charge keep them (migration
# 0008_charge_side_tables): every writer — the ORM, the hot path's CTE statements, a queryset
# ``update()``, a data fix in psql — inside the statement that changes the charge, so they cannot
# drift from it. Neither has a foreign-key constraint (no RI check per write; charges are never
# deleted on the money path — every reference to them PROTECTs): their lookups join the charge.


class ChargeReference(models.Model):
    """Insert-only: each provider reference a charge has carried (``Charge.gateway_reference``),
    written when the charge is inserted or its reference changes to a non-empty value. Read by
    ``selectors.charges_by_gateway_reference`` (the primary key's B-tree, one entry per charge),
    which also compares the charge's current column, so a reference the charge no longer carries
    finds nothing."""

    pk = models.CompositePrimaryKey("gateway_reference", "charge")
    gateway_reference = models.CharField(max_length=100)
    charge = models.ForeignKey(
        Charge, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.gateway_reference} → charge {self.charge_id}"


class UnresolvedAttempt(models.Model):
    """One row per charge whose status is ``submitting``, ``unknown`` or ``pending`` (an attempt
    without a final answer): inserted when a charge enters those statuses, deleted when it leaves
    them. The re-check janitor and the diagnostics read their candidates here (a few rows, however
    large intents_charge grows) and check the charge's own status and age."""

    STATUSES = ("submitting", "unknown", "pending")

    charge = models.OneToOneField(
        Charge, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    def __str__(self) -> str:
        return f"unresolved charge {self.charge_id}"
