"""What reconciliation does: runs, settlement syncs, the ledger's items and the discrepancies."""

from django.db import models

from apps.core.models import PublicIdModel, TimeStampedModel

from .files import BankLine, SettlementBatch, SettlementLine


class ReconciliationRun(PublicIdModel, TimeStampedModel):
    ID_PREFIX = "rec"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    connector_code = models.CharField(max_length=40, blank=True, default="")  # empty: every connector
    livemode = models.BooleanField(default=False)
    # A merchant's run (API) decides only its items and its own files; staff runs cover the platform.
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    interval_start = models.DateField()
    interval_end = models.DateField()  # exclusive
    as_of = models.DateField(help_text="The day the SLAs are measured from (missing after T+N).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    items_processed = models.PositiveIntegerField(default=0)
    lines_processed = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    expected = models.PositiveIntegerField(default=0)
    open_discrepancies = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    requested_by = models.CharField(max_length=150, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.public_id} {self.interval_start}…{self.interval_end}"


class SettlementSync(PublicIdModel, TimeStampedModel):
    """A settlement sync job (beat, admin button or `POST /v1/settlements/sync`) and what it did."""

    ID_PREFIX = "ssy"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    livemode = models.BooleanField(default=False)
    connector = models.ForeignKey(
        "connectors.Connector", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    interval_start = models.DateField()
    interval_end = models.DateField()  # exclusive
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(default=dict, blank=True)
    requested_by = models.CharField(max_length=150, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.public_id} {self.interval_start}…{self.interval_end}"


class LedgerItem(models.Model):
    """One ledger movement the acquirer must settle: a posting on a connector clearing account
    (capture, refund, dispute debit or reversal). `amount` is what its settlement line should
    show (signed, the line's sign: captures positive)."""

    class Status(models.TextChoices):
        EXPECTED = "expected"  # not settled yet, within the SLA
        MATCHED = "matched"
        MISSING = "missing"  # past the SLA without a line: an open discrepancy
        DISCREPANCY = "discrepancy"  # a line was found but differs

    class MatchKind(models.TextChoices):
        NONE = ""
        AUTO = "auto"
        MANUAL = "manual"
        FORCED = "forced"

    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey("merchants.Merchant", null=True, on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    connector_code = models.CharField(max_length=40)
    kind = models.CharField(max_length=32)  # the journal entry kind
    source_type = models.CharField(max_length=40, blank=True, default="")
    source_id = models.CharField(max_length=64, blank=True, default="")
    gateway_reference = models.CharField(max_length=100, blank=True, default="")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    effective_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.EXPECTED)
    match_kind = models.CharField(max_length=8, choices=MatchKind.choices, blank=True, default="")
    # Every pass rewrites `status`, `match_kind` and `line` of a million items: none of them is
    # indexed and the table keeps free room on its pages (fillfactor 50, migration 0002), so the
    # UPDATE is HOT (no index touched), about ten times cheaper. `line` has no database
    # constraint for the same reason (a per-row check at commit); the matching SQL only ever
    # assigns the id of a line it has just read, the resolve services one they hold, and lines
    # refuse DELETE (migration 0004), so the line an item names always exists.
    line = models.ForeignKey(
        SettlementLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    # Manual and forced links are kept by later runs (the line is never re-assigned automatically).
    pinned = models.BooleanField(default=False)
    # Finance marked it received outside the file: counts as settled until a line matches it.
    marked_received = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["gateway_reference"], name="recon_item_ref"),
            models.Index(fields=["connector_code", "livemode", "effective_on"], name="recon_item_day"),
            # The few pinned items, read by every pass; `pinned` never changes in a pass, so the
            # pass's UPDATE stays HOT.
            models.Index(fields=["id"], condition=models.Q(pinned=True), name="recon_item_pinned"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} {self.amount} {self.currency}"


class Discrepancy(PublicIdModel, TimeStampedModel):
    """Something finance has to act on. `diffs` says which fields differ and by how much."""

    ID_PREFIX = "dsc"

    class Type(models.TextChoices):
        MISSING = "missing", "missing (not settled after the SLA)"
        AMOUNT_OVER = "amount_over", "amount over"
        AMOUNT_UNDER = "amount_under", "amount under"
        FEE_MISMATCH = "fee_mismatch", "fee mismatch"
        CURRENCY_MISMATCH = "currency_mismatch", "currency mismatch"
        UNKNOWN_REFERENCE = "unknown_reference", "unknown reference"
        DUPLICATE_LINE = "duplicate_line", "duplicate line"
        STATUS_MISMATCH = "status_mismatch", "status mismatch"
        PAYOUT_MISMATCH = "payout_mismatch", "payout mismatch (bank credit ≠ batch net)"
        BANK_CREDIT_MISSING = "bank_credit_missing", "bank credit missing"

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    class Resolution(models.TextChoices):
        NONE = ""
        CLEARED = "cleared", "cleared by a later run"
        IGNORED = "ignored"
        LINKED = "linked", "linked manually"
        FORCED = "forced", "force-matched"
        MARKED_RECEIVED = "marked_received", "marked as received"
        WRITTEN_OFF = "written_off", "written off (ledger adjustment)"
        LINE_EDITED = "line_edited", "settlement line edited"
        ENTRY_CREATED = "entry_created", "missing ledger entry created"

    # What each resolution does to automatic matching: shown before and after acting.
    RESOLUTION_EFFECTS = {
        "ignored": "The rows stay in automatic matching: a later line that matches clears the item as usual.",
        "linked": "The item and the line are pinned together; later runs keep the link and re-check amounts.",
        "forced": "The item and the line are pinned together with their difference accepted; later runs keep it.",
        "marked_received": "The item counts as settled outside the file; a line arriving later still matches it.",
        "written_off": "A balanced ledger adjustment closes the difference; the rows stay in automatic matching.",
        "line_edited": "Matching uses the edited value from now on (the raw row is kept); the next run re-matches it.",
        "entry_created": "A balanced ledger entry books what the acquirer settled, and its new ledger item is pinned"
        " to the line: later runs keep the pair and re-check its amounts.",
        "cleared": "A later run found the rows in agreement.",
    }

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="discrepancies")
    last_seen_run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="+")
    # One discrepancy per cause: a re-run updates it, never adds a second.
    key = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=24, choices=Type.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    livemode = models.BooleanField(default=False)
    connector_code = models.CharField(max_length=40, blank=True, default="")
    currency = models.CharField(max_length=3)
    day = models.DateField()
    item = models.ForeignKey(
        LedgerItem, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies"
    )
    line = models.ForeignKey(
        SettlementLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.ForeignKey(
        SettlementBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bank_line = models.ForeignKey(BankLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # [{"field": "gross", "ours": 9700, "theirs": 9697, "difference": -3}]; money in minor units.
    diffs = models.JSONField(default=list)
    difference = models.BigIntegerField(default=0)  # theirs - ours, in `currency`
    resolution = models.CharField(max_length=24, choices=Resolution.choices, blank=True, default="")
    note = models.TextField(blank=True, default="")
    resolved_by = models.CharField(max_length=150, blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    approval_id = models.CharField(max_length=40, blank=True, default="")
    adjustment_entry_id = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        verbose_name_plural = "discrepancies"
        indexes = [
            models.Index(fields=["status", "type", "day"], name="recon_dsc_queue"),
            models.Index(fields=["merchant", "status"], name="recon_dsc_merchant"),
        ]
        permissions = [
            ("resolve_discrepancy", "Can resolve a reconciliation discrepancy"),
            ("writeoff_discrepancy", "Can request a write-off or force-match of a discrepancy"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"
