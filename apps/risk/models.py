"""Risk: versioned rule sets, value lists, decisions per payment attempt, reviews, overrides,
the card-testing guard and fraud labels (issue 17)."""

from django.conf import settings
from django.db import models

from apps.core.models import TenantModel, TimeStampedModel

from .cache import InvalidatingQuerySet


class RiskSettings(TimeStampedModel):
    """Per merchant: score thresholds, what an automatic-capture payment under review does, the
    override amount above which a second analyst approves, and the card-testing guard."""

    class ReviewCapture(models.TextChoices):
        CAPTURE = "capture"  # Stripe's behaviour: capture, then review (refund if fraud)
        HOLD = "hold"  # authorize only; capture when the review is approved

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    elevated_threshold = models.PositiveSmallIntegerField(default=65)
    highest_threshold = models.PositiveSmallIntegerField(default=75)
    review_capture = models.CharField(max_length=8, choices=ReviewCapture.choices, default=ReviewCapture.HOLD)
    override_approval_amount = models.BigIntegerField(
        default=50000,
        help_text="Overrides of payments above this amount (minor units) need a second analyst.",
    )
    card_testing_declines = models.PositiveSmallIntegerField(default=5)
    card_testing_window_seconds = models.PositiveIntegerField(default=600)
    card_testing_block_seconds = models.PositiveIntegerField(default=3600)

    class Meta:
        verbose_name_plural = "risk settings"

    def __str__(self) -> str:
        return f"risk settings of {self.merchant_id}"


class RuleSet(TenantModel):
    """One immutable version of a merchant's rules; exactly one version per mode is active."""

    ID_PREFIX = "rset"

    version = models.PositiveIntegerField()
    is_active = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True, default="")
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "livemode", "version"], name="risk_ruleset_version"),
            models.UniqueConstraint(
                fields=["merchant", "livemode"],
                condition=models.Q(is_active=True),
                name="risk_ruleset_one_active",
            ),
        ]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}{' (active)' if self.is_active else ''}"


class Rule(models.Model):
    """A rule inside one rule-set version. ``rule_id`` is the rule's identity across versions
    (``rule_…``): an edit writes a new version holding a new row with the same rule_id."""

    class Action(models.TextChoices):
        REQUEST_3DS = "request_3ds"
        ALLOW = "allow"
        BLOCK = "block"
        REVIEW = "review"

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    rule_id = models.CharField(max_length=40, db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    predicate = models.TextField()
    description = models.CharField(max_length=500, blank=True, default="")
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["rule_set", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "rule_id"], name="risk_rule_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.action} if {self.predicate}"


# The rule actions as one choice set the OpenAPI schema names (ENUM_NAME_OVERRIDES).
RuleAction = Rule.Action


class ValueList(TenantModel):
    """Stripe's ``radar.value_list`` (``rsl_``)."""

    ID_PREFIX = "rsl"
    objects = InvalidatingQuerySet.as_manager()  # bulk writes invalidate the members cache

    class ItemType(models.TextChoices):
        CARD_FINGERPRINT = "card_fingerprint"
        CARD_BIN = "card_bin"
        EMAIL = "email"
        IP_ADDRESS = "ip_address"
        COUNTRY = "country"
        STRING = "string"
        CASE_SENSITIVE_STRING = "case_sensitive_string"
        CUSTOMER_ID = "customer_id"

    alias = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    item_type = models.CharField(max_length=32, choices=ItemType.choices, default=ItemType.STRING)
    created_by = models.CharField(max_length=200, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "livemode", "alias"], name="risk_value_list_alias"),
        ]

    def __str__(self) -> str:
        return f"@{self.alias}"


class ValueListItem(TenantModel):
    """Stripe's ``radar.value_list_item`` (``rsli_``); ``value`` is stored lower-cased (rules
    compare case-insensitively)."""

    ID_PREFIX = "rsli"
    objects = InvalidatingQuerySet.as_manager()  # bulk writes invalidate the members cache

    value_list = models.ForeignKey(ValueList, on_delete=models.CASCADE, related_name="items")
    value = models.CharField(max_length=800)
    created_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["value_list", "value"], name="risk_value_list_item_once"),
        ]
        indexes = [models.Index(fields=["value", "value_list"], name="risk_vli_value")]

    def __str__(self) -> str:
        return self.value


class RiskDecision(TenantModel):
    """What risk decided for one payment attempt (or one ``POST /v1/risk/score``): the rule-set
    version, each matched rule with the values that made it match, the score and its components,
    the inputs (for backtests) and the action taken."""

    ID_PREFIX = "rdec"

    class Action(models.TextChoices):
        ALLOW = "allow"
        BLOCK = "block"
        REQUEST_3DS = "request_3ds"
        REVIEW = "review"

    class Source(models.TextChoices):
        RULE = "rule"
        OVERRIDE = "override"
        GUARD = "card_testing_guard"
        DEFAULT = "default"

    charge = models.OneToOneField(
        "intents.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_intent = models.ForeignKey(
        "intents.PaymentIntent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Indexed by risk_dec_rule_set (partial: a merchant without rules writes no entry).
    rule_set = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    rule_set_version = models.PositiveIntegerField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    source = models.CharField(max_length=24, choices=Source.choices, default=Source.DEFAULT)
    rule_id = models.CharField(max_length=40, blank=True, default="")  # the rule that decided
    matched_rules = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField()
    risk_level = models.CharField(max_length=16)
    components = models.JSONField(default=list)
    inputs = models.JSONField(default=dict)
    amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    evaluation_us = models.PositiveIntegerField(default=0)

    class Meta:
        # Issue 21: one decision per confirm, so each index is named with the query it serves
        # (risk migration 0003 dropped the rest). Also kept: the pkey, public_id's unique key
        # (ids are unique across tenants; reviews.py's lookup by id), charge_id's unique key
        # (one decision per attempt; decision_for_charge, warnings, labels) and the
        # payment_intent FK index (overrides.py's latest decision of an intent, the back
        # office's timeline and workbench).
        indexes = [
            # decision_get: retrieve by id within a tenant
            models.Index(fields=["merchant", "livemode", "public_id"], name="risk_dec_tenant_id"),
            # backtests: a tenant's decisions since a date (services/backtest.py)
            models.Index(fields=["merchant", "livemode", "created_at"], name="risk_dec_tenant_created"),
            # the PROTECT check when a rule set is deleted; only decisions a rule set made
            models.Index(
                fields=["rule_set"], name="risk_dec_rule_set", condition=models.Q(rule_set__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.action}"


class Review(TenantModel):
    """Stripe's ``review`` (``prv_``) on a payment a rule sent to review."""

    ID_PREFIX = "prv"

    class ClosedReason(models.TextChoices):
        APPROVED = "approved"
        REFUNDED = "refunded"
        REFUNDED_AS_FRAUD = "refunded_as_fraud"
        DISPUTED = "disputed"
        REDACTED = "redacted"
        CANCELED = "canceled"

    charge = models.ForeignKey("intents.Charge", on_delete=models.PROTECT, related_name="+")
    payment_intent = models.ForeignKey("intents.PaymentIntent", on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(
        RiskDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    open = models.BooleanField(default=True)
    opened_reason = models.CharField(max_length=16, default="rule")  # rule | manual
    closed_reason = models.CharField(max_length=24, choices=ClosedReason.choices, blank=True, default="")
    reason = models.CharField(max_length=40, default="rule")  # Stripe: rule | manual | approved | …
    held = models.BooleanField(default=False, help_text="Authorized only; captured when approved.")
    authorization_expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=200, blank=True, default="")
    note = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="risk_review_tenant_id"),
            models.Index(fields=["open", "authorization_expires_at"], name="risk_review_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["charge"], condition=models.Q(open=True), name="risk_review_one_open"
            ),
        ]
        permissions = [("close_review", "Can approve, cancel or refund payments under review")]

    def __str__(self) -> str:
        return self.public_id


class Override(TenantModel):
    """A risk analyst's forced allow or block for a payment, card fingerprint, e-mail or IP."""

    ID_PREFIX = "rov"

    class Kind(models.TextChoices):
        PAYMENT = "payment"
        CARD_FINGERPRINT = "card_fingerprint"
        EMAIL = "email"
        IP_ADDRESS = "ip_address"

    class Effect(models.TextChoices):
        ALLOW = "allow"
        BLOCK = "block"

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval"
        ACTIVE = "active"
        REJECTED = "rejected"
        REVOKED = "revoked"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    value = models.CharField(max_length=300)  # pi_… for a payment; lower-cased otherwise
    effect = models.CharField(max_length=8, choices=Effect.choices)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.ACTIVE)
    reason = models.TextField()
    amount = models.BigIntegerField(null=True, blank=True)  # a payment override: its amount
    currency = models.CharField(max_length=3, blank=True, default="")
    before = models.JSONField(default=dict, blank=True)  # the decision it overrides, when one exists
    expires_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.CharField(max_length=200)
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["merchant", "livemode", "kind", "value", "status"], name="risk_override_lookup"
            )
        ]
        permissions = [("approve_override", "Can approve another analyst's risk override")]

    def __str__(self) -> str:
        return f"{self.effect} {self.kind} {self.value}"


class CardTestingBlock(TenantModel):
    """The guard tripped: too many declines from one IP or card fingerprint in the window. The
    Redis key is what the hot path reads; this row is what staff see and lift."""

    ID_PREFIX = "ctb"

    kind = models.CharField(max_length=24)  # ip_address | card_fingerprint
    value = models.CharField(max_length=300)
    declines = models.PositiveIntegerField()
    blocked_until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["blocked_until"], name="risk_ctb_until")]

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


class FraudLabel(TimeStampedModel):
    """Ground truth for a decision: from a review's outcome, a fraudulent dispute or an
    early-fraud warning. Rules' precision and backtests read these."""

    class Label(models.TextChoices):
        FRAUD = "fraud"
        NOT_FRAUD = "not_fraud"

    decision = models.ForeignKey(RiskDecision, on_delete=models.CASCADE, related_name="labels")
    label = models.CharField(max_length=16, choices=Label.choices)
    source = models.CharField(max_length=32)  # review | dispute | early_fraud_warning
    source_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "source", "source_id"], name="risk_label_once"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.source})"


class EarlyFraudWarning(TenantModel):
    """Stripe's ``radar.early_fraud_warning`` (``issfr_``): the issuer's report, through the
    acquirer, that a charge is fraud (a TC40 / SAFE report) before any dispute. ``actionable``:
    the charge is neither fully refunded nor disputed, so refunding it may still avert a dispute."""

    ID_PREFIX = "issfr"

    class FraudType(models.TextChoices):
        CARD_NEVER_RECEIVED = "card_never_received"
        FRAUDULENT_CARD_APPLICATION = "fraudulent_card_application"
        MADE_WITH_COUNTERFEIT_CARD = "made_with_counterfeit_card"
        MADE_WITH_LOST_CARD = "made_with_lost_card"
        MADE_WITH_STOLEN_CARD = "made_with_stolen_card"
        MISC = "misc"
        UNAUTHORIZED_USE_OF_CARD = "unauthorized_use_of_card"

    charge = models.ForeignKey("intents.Charge", on_delete=models.PROTECT, related_name="+")
    payment_intent = models.ForeignKey("intents.PaymentIntent", on_delete=models.PROTECT, related_name="+")
    connector = models.ForeignKey("connectors.Connector", on_delete=models.PROTECT, related_name="+")
    connector_warning_id = models.CharField(max_length=100)
    fraud_type = models.CharField(max_length=32, choices=FraudType.choices)
    actionable = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector", "connector_warning_id"], name="risk_efw_once"),
        ]
        indexes = [models.Index(fields=["merchant", "livemode", "charge"], name="risk_efw_charge")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.fraud_type}"
