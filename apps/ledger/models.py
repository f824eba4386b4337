"""Double-entry ledger.

Sign convention: a posting's `amount` is signed minor units; a positive amount *credits* the
account (what the platform owes the account's owner grows), a negative amount debits it. So a
merchant's pending/available balances are positive when we owe the merchant money, and the
connector clearing accounts (what connectors owe us) are negative. Every journal entry's
postings sum to zero per currency — enforced by a deferred PostgreSQL constraint trigger
(migration 0002) — so the sum over all accounts is zero per currency as well.

Balances are derived, never stored per posting: balance = snapshot (`BalanceSnapshot`, rolled
forward by a periodic task) + the postings after the snapshot's high-water mark, read from an
index-only range scan. No row is updated under a lock on the capture path.
"""

from django.db import models

from apps.audit.history import track_config
from apps.core.models import PublicIdModel, TenantModel, TimeStampedModel


class Account(models.Model):
    class Owner(models.TextChoices):
        MERCHANT = "merchant"
        BENEFICIARY = "beneficiary"  # a split-payment partner of a merchant
        PLATFORM = "platform"

    class Kind(models.TextChoices):
        # merchant-owned
        PENDING = "pending"
        AVAILABLE = "available"
        RESERVE = "reserve"
        # beneficiary-owned (split shares of Partner accounts)
        SPLIT_SHARE = "split_share"
        # platform-owned
        FEES = "fees"  # processing fees charged to merchants
        PLATFORM_REVENUE = "platform_revenue"  # SystemOwner split shares
        CONNECTOR_CLEARING = "connector_clearing"  # per connector and currency: owed by the connector
        FX = "fx"  # currency conversion position, one per currency
        PAYOUTS_IN_TRANSIT = "payouts_in_transit"
        BANK = "bank"  # funds that left the platform to merchants' banks
        ADJUSTMENTS = "adjustments"  # counterpart of manual balance adjustments

    MERCHANT_KINDS = (Kind.PENDING, Kind.AVAILABLE, Kind.RESERVE)

    key = models.CharField(max_length=255, unique=True, editable=False)
    owner = models.CharField(max_length=16, choices=Owner.choices)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    livemode = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    connector_code = models.CharField(max_length=40, blank=True, default="")
    beneficiary_type = models.CharField(max_length=40, blank=True, default="")
    beneficiary_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "currency"], name="ledger_acct_merchant"),
            models.Index(fields=["kind", "currency"], name="ledger_acct_kind"),
        ]

    def __str__(self) -> str:
        who = self.merchant.name if self.merchant_id and self.owner == self.Owner.MERCHANT else self.owner
        extra = self.connector_code or self.beneficiary_id
        mode = "live" if self.livemode else "test"
        return f"{who} · {self.kind}{' ' + extra if extra else ''} · {self.currency} ({mode})"

    @staticmethod
    def make_key(
        *,
        owner: str,
        kind: str,
        merchant_id: int | None,
        livemode: bool,
        currency: str,
        connector_code: str = "",
        beneficiary_type: str = "",
        beneficiary_id: str = "",
    ) -> str:
        return ":".join(
            [
                owner,
                kind,
                str(merchant_id or "-"),
                "live" if livemode else "test",
                currency,
                connector_code,
                beneficiary_type,
                beneficiary_id,
            ]
        )


class JournalEntry(PublicIdModel):
    """One business event; append-only (database trigger). Corrections are new entries."""

    ID_PREFIX = "je"

    class Kind(models.TextChoices):
        CAPTURE = "capture"
        REFUND = "refund"
        DISPUTE_DEBIT = "dispute_debit"
        DISPUTE_REVERSAL = "dispute_reversal"
        SETTLEMENT = "settlement"  # pending → available
        PAYOUT = "payout"
        PAYOUT_PAID = "payout_paid"
        PAYOUT_RETURN = "payout_return"  # failed or canceled payout: funds back to available
        ADJUSTMENT = "adjustment"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    livemode = models.BooleanField(default=False)
    source_type = models.CharField(max_length=40, blank=True, default="")
    source_id = models.CharField(max_length=64, blank=True, default="")
    # Saleor-style: the database refuses to post the same business event twice.
    idempotency_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    description = models.CharField(max_length=500, blank=True, default="")
    effective_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="ledger_je_source"),
            models.Index(fields=["merchant", "livemode", "created_at"], name="ledger_je_merchant"),
            models.Index(fields=["kind", "created_at"], name="ledger_je_kind"),
        ]
        permissions = [("request_adjustment", "Can request a manual balance adjustment")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind}"


class Posting(models.Model):
    """One leg of an entry; append-only (database trigger)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # Indexed by the composite (account, id) index below.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings", db_index=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        indexes = [
            # Balance reads are index-only range scans: (account, id > snapshot) → sum(amount).
            models.Index(fields=["account", "id"], include=["amount"], name="ledger_posting_acct_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_posting_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.currency} → {self.account_id}"


class BalanceSnapshot(models.Model):
    """Sum of an account's postings up to (and including) posting id `upto_posting_id`.
    Rolled forward by `ledger_snapshots_refresh`; only ever read together with the tail."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="snapshot")
    upto_posting_id = models.BigIntegerField(default=0)
    balance = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance} @ {self.upto_posting_id}"


class SnapshotHorizon(models.Model):
    """The posting id up to which the last snapshot run summed (single row)."""

    upto_posting_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"snapshots up to posting {self.upto_posting_id}"


class MerchantBalanceState(models.Model):
    """Per merchant, mode and currency: the lock taken by operations that *debit* a merchant
    (refunds, disputes, payouts, settlement, adjustments) and the tracked debt — how far the
    available balance is below zero. Captures do not lock it; they only read `debt` and, when
    it is positive, lock it to repay the debt from the new funds."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    debt = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "livemode", "currency"], name="ledger_state_unique"),
            models.CheckConstraint(condition=models.Q(debt__gte=0), name="ledger_state_debt_gte0"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.currency} debt={self.debt}"


class BalanceTransaction(TenantModel):
    """A merchant-facing line of the balance history (Stripe's balance_transaction)."""

    ID_PREFIX = "txn"

    class Type(models.TextChoices):
        CHARGE = "charge"
        PAYMENT = "payment"  # non-card payment methods
        REFUND = "refund"
        ADJUSTMENT = "adjustment"
        DISPUTE = "dispute"
        DISPUTE_REVERSAL = "dispute_reversal"
        PAYOUT = "payout"
        PAYOUT_FAILURE = "payout_failure"
        PAYOUT_CANCEL = "payout_cancel"

    class Status(models.TextChoices):
        PENDING = "pending"
        AVAILABLE = "available"

    type = models.CharField(max_length=32, choices=Type.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    amount = models.BigIntegerField()
    fee = models.BigIntegerField(default=0)
    net = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    fee_details = models.JSONField(default=list, blank=True)
    exchange_rate = models.CharField(max_length=40, blank=True, default="")
    source_type = models.CharField(max_length=40, blank=True, default="")
    source_id = models.CharField(max_length=64, blank=True, default="")
    payout_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    description = models.CharField(max_length=500, blank=True, default="")
    available_on = models.DateTimeField()
    # The part of `net` credited to pending and not yet moved to available by settlement.
    pending_amount = models.BigIntegerField(default=0)
    journal_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "livemode", "public_id"], name="ledger_txn_tenant"),
            models.Index(fields=["merchant", "livemode", "type", "public_id"], name="ledger_txn_type"),
            models.Index(
                fields=["merchant", "livemode", "currency", "available_on"],
                name="ledger_txn_due",
                condition=models.Q(status="pending"),
            ),
        ]


class CaptureRecord(TimeStampedModel):
    """What the ledger decided at capture (fee, FX rate, split shares), kept so refunds and
    disputes reverse the same way; `refunded*` track the cumulative reversal."""

    class FxStatus(models.TextChoices):
        NOT_NEEDED = "not_needed"
        CONVERTED = "converted"
        RATE_MISSING = "rate_missing"  # settled in the original currency; flagged for finance

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    charge_id = models.CharField(max_length=64, unique=True)
    payment_intent_id = models.CharField(max_length=64, blank=True, default="")
    connector_code = models.CharField(max_length=40)
    payment_method_type = models.CharField(max_length=32, blank=True, default="")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    settlement_currency = models.CharField(max_length=3)
    settlement_amount = models.BigIntegerField()
    fx_status = models.CharField(max_length=16, choices=FxStatus.choices, default=FxStatus.NOT_NEEDED)
    fx_rate = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    fx_rate_as_of = models.DateTimeField(null=True, blank=True)
    fee = models.BigIntegerField(default=0)
    shares = models.JSONField(default=list, blank=True)
    merchant_net = models.BigIntegerField()
    refunded_amount = models.BigIntegerField(default=0)
    refunded_settlement_amount = models.BigIntegerField(default=0)
    disputed_settlement_amount = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="ledger_capture_fx_missing",
                condition=models.Q(fx_status="rate_missing"),
            ),
        ]

    def __str__(self) -> str:
        return self.charge_id


class FeeScheduleQuerySet(models.QuerySet):
    def update(self, **kwargs):
        from apps.core import hotcache

        count = super().update(**kwargs)
        hotcache.invalidate(["fee_schedules"])  # selectors.FEE_SCHEDULES
        return count


@track_config()
class FeeSchedule(TimeStampedModel):
    """Processing fee: `percent_bp` basis points of the settled amount plus `fixed_amount` minor
    units, per merchant (or platform default when `merchant` is empty), per currency, optionally
    per payment method type. The most specific active row wins."""

    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3)
    payment_method_type = models.CharField(max_length=32, blank=True, default="")
    percent_bp = models.PositiveIntegerField(default=0)
    fixed_amount = models.BigIntegerField(default=0)
    active = models.BooleanField(default=True)

    objects = FeeScheduleQuerySet.as_manager()  # update() renews the cached schedules' version

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "currency", "payment_method_type"],
                condition=models.Q(active=True),
                name="ledger_fee_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_bp__lte=10_000, fixed_amount__gte=0), name="ledger_fee_bounds"
            ),
        ]

    def __str__(self) -> str:
        who = self.merchant_id or "default"
        return f"{who} {self.currency} {self.payment_method_type or '*'}: {self.percent_bp}bp + {self.fixed_amount}"


class ExchangeRate(models.Model):
    """1 `base` = `rate` `quote`, as of `as_of`."""

    class Source(models.TextChoices):
        MANUAL = "manual"
        CSV = "csv"
        PROVIDER = "provider"

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=24, decimal_places=12)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    as_of = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["base", "quote", "-as_of"], name="ledger_fx_lookup")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="ledger_fx_rate_pos"),
            models.UniqueConstraint(fields=["base", "quote", "as_of"], name="ledger_fx_unique"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.as_of:%Y-%m-%d %H:%M})"
