"""Settlement sync and three-way reconciliation: ledger movement ↔ acquirer settlement line ↔ bank
credit.

The acquirer settles the platform's account (Clearhouse is the payment facilitator: connector
clearing accounts in the ledger are per connector and currency, not per merchant), so files,
batches and bank lines are platform-level; every ledger item and every discrepancy that can be
attributed carries its merchant, which is how finance filters the queue.

Nothing here is deleted by a resolution: a discrepancy is resolved with a resolution and a note
(audited), and the rows it is about stay in automatic matching unless the resolution says
otherwise in its own words (``Discrepancy.RESOLUTION_EFFECTS``).
"""

from django.db import models

from apps.audit.history import track_config
from apps.core.models import PublicIdModel, TimeStampedModel
from apps.ledger.models import Account

from .fields import TextCellsField

_ACCOUNT_KINDS = Account.Kind.choices


@track_config()
class ColumnMapping(TimeStampedModel):
    """A saved CSV layout: which header holds which field. Finance configures one in the admin
    (with a preview of the first rows) for a file format nobody wrote a parser for."""

    class SourceKind(models.TextChoices):
        ACQUIRER = "acquirer"
        BANK = "bank"

    class AmountUnit(models.TextChoices):
        MAJOR = "major", "major units (12.34)"
        MINOR = "minor", "minor units (1234)"

    # Acquirer: psp_reference, merchant_reference, record_type, currency, gross, fee, net,
    # settlement_date, payout_reference. Bank: booking_date, amount, currency, reference,
    # counterparty, credit_debit.
    ACQUIRER_FIELDS = ("settlement_date", "record_type", "psp_reference", "merchant_reference", "currency",
                       "gross", "fee", "payout_reference")  # fmt: skip
    ACQUIRER_REQUIRED = ("settlement_date", "psp_reference", "currency", "gross")
    BANK_FIELDS = ("booking_date", "amount", "currency", "reference", "counterparty", "credit_debit")
    BANK_REQUIRED = ("booking_date", "amount", "currency", "reference")

    name = models.CharField(max_length=80, unique=True)
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.ACQUIRER)
    connector_code = models.CharField(max_length=40, blank=True, default="")
    delimiter = models.CharField(max_length=1, default=",")
    decimal_separator = models.CharField(max_length=1, default=".", choices=[(".", "."), (",", ",")])
    date_format = models.CharField(max_length=32, default="%Y-%m-%d")
    amount_unit = models.CharField(max_length=8, choices=AmountUnit.choices, default=AmountUnit.MAJOR)
    columns = models.JSONField(default=dict, help_text='{"psp_reference": "Transaction ID", …}')
    # Values of the record type column → capture | refund | chargeback | payout | adjustment.
    record_types = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name


@track_config()
class Tolerance(TimeStampedModel):
    """Per currency: an amount difference up to `amount` (minor units) is accepted as rounding."""

    currency = models.CharField(max_length=3, unique=True)
    amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="recon_tolerance_gte0")]

    def __str__(self) -> str:
        return f"{self.currency} ±{self.amount}"


@track_config()
class AcquirerFeeRule(TimeStampedModel):
    """The fee the acquirer's contract says it takes per capture: `percent_bp` + `fixed_amount`.
    A settled line's fee is checked against it (fee mismatch); without a rule, fees are not."""

    connector_code = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    percent_bp = models.PositiveIntegerField(default=0)
    fixed_amount = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connector_code", "currency"], name="recon_fee_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.connector_code} {self.currency}: {self.percent_bp}bp + {self.fixed_amount}"


class SettlementFile(PublicIdModel, TimeStampedModel):
    """One ingested file (acquirer settlement report or bank statement). Refused when the same
    bytes were ingested before (sha256); a malformed file is `failed` with a per-row error
    report and posts nothing; its raw rows are kept on the lines."""

    ID_PREFIX = "stf"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PROCESSED = "processed"
        FAILED = "failed"

    class Format(models.TextChoices):
        SANDBOX_CSV = "sandbox_csv", "Sandbox acquirer CSV"
        STRIPE_PAYOUT_RECONCILIATION = "stripe_payout_reconciliation", "Stripe itemized payout reconciliation"
        ADYEN_SETTLEMENT_DETAILS = "adyen_settlement_details", "Adyen settlement details"
        CAMT053 = "camt053", "ISO 20022 camt.053 bank statement"
        MT940 = "mt940", "SWIFT MT940 bank statement"
        GENERIC_CSV = "generic_csv", "CSV with a saved column mapping"

    BANK_FORMATS = (Format.CAMT053, Format.MT940)

    format = models.CharField(max_length=40, choices=Format.choices)
    # A merchant's own upload (its own acquirer or bank account); platform files (the sync) have none.
    # A merchant's lines only ever match that merchant's ledger items.
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_kind = models.CharField(max_length=16, choices=ColumnMapping.SourceKind.choices)
    connector_code = models.CharField(max_length=40, blank=True, default="")
    livemode = models.BooleanField(default=False)
    filename = models.CharField(max_length=255, blank=True, default="")
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField(default=0)
    mapping = models.ForeignKey(
        ColumnMapping, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row": n, "column": "...", "message": "..."}]
    # An acquirer file's header as read (stripped), once: its lines keep their cells in this order.
    header = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=16, default="upload")  # upload | sync
    uploaded_by = models.CharField(max_length=150, blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source_kind", "connector_code", "created_at"], name="recon_file_src")
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.filename}"


class SettlementBatch(PublicIdModel, TimeStampedModel):
    """The lines of one file that one payout pays: per settlement date and currency."""

    ID_PREFIX = "stl"

    file = models.ForeignKey(SettlementFile, on_delete=models.PROTECT, related_name="batches")
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    connector_code = models.CharField(max_length=40)
    livemode = models.BooleanField(default=False)
    settled_on = models.DateField()
    currency = models.CharField(max_length=3)
    payout_reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    # What the lines add up to, and what the file's payout line says is paid (None: no payout line).
    gross = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    net = models.BigIntegerField(default=0)
    reported_payout = models.BigIntegerField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    bank_line = models.ForeignKey(
        "BankLine", null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )

    class Meta:
        verbose_name_plural = "settlement batches"
        indexes = [models.Index(fields=["connector_code", "livemode", "settled_on"], name="recon_batch_day")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.settled_on} {self.currency}"


class SettlementLine(models.Model):
    """One operation line of an acquirer file, its raw row kept as read.

    Bulk-loaded (a million lines a file): `file`, `batch` and `merchant` carry no database
    constraint, as a per-row foreign-key check at commit costs as much as the load itself. What
    guarantees them instead: all three come from the one INSERT … SELECT that joins the file's own
    batches (`services.copyload`, `services.ingest`), so they exist when written, and the merchant
    is the file's (whose constraint stays); files, batches and lines refuse DELETE in PostgreSQL
    (a statement trigger, migration 0004: nothing per row), so nothing they name can go. `file`
    needs no index of its own: the unique (file, row_number) constraint leads with it; nor does
    `merchant` (a merchant is never deleted) or the reference (nothing searches lines by it alone:
    the queue's search goes through its discrepancies; the index cost most of a load)."""

    class RecordType(models.TextChoices):
        CAPTURE = "capture"
        REFUND = "refund"
        CHARGEBACK = "chargeback"
        ADJUSTMENT = "adjustment"

    file = models.ForeignKey(
        SettlementFile, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(
        SettlementBatch, on_delete=models.PROTECT, related_name="lines", db_constraint=False
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    connector_code = models.CharField(max_length=40)
    livemode = models.BooleanField(default=False)
    row_number = models.PositiveIntegerField()
    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    psp_reference = models.CharField(max_length=100, blank=True, default="")
    merchant_reference = models.CharField(max_length=100, blank=True, default="")
    currency = models.CharField(max_length=3)
    gross = models.BigIntegerField()
    fee = models.BigIntegerField(default=0)
    settled_on = models.DateField()
    # The raw row: its cells as read, in the order of the file's `header` (see `raw`).
    cells = TextCellsField(default=list)
    # A finance edit of a field (e.g. a mistyped reference): the value matching uses, the raw row
    # unchanged; listed with who and why in the audit log.
    edited = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "row_number"], name="recon_line_row")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.psp_reference} {self.gross} {self.currency}"

    @property
    def raw(self) -> dict[str, str]:
        """The raw row, header → cell as read (reads the file: `select_related("file")` for many)."""
        return dict(zip(self.file.header, self.cells, strict=False))


class BankLine(models.Model):
    """One entry of a bank statement (credit: positive)."""

    file = models.ForeignKey(SettlementFile, on_delete=models.PROTECT, related_name="bank_lines")
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    livemode = models.BooleanField(default=False)
    row_number = models.PositiveIntegerField()
    booked_on = models.DateField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=140, blank=True, default="", db_index=True)
    counterparty = models.CharField(max_length=140, blank=True, default="")
    raw = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "row_number"], name="recon_bank_row")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.currency} {self.reference}"


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


@track_config()
class GLAccountMapping(TimeStampedModel):
    """Chart of accounts: a ledger account kind (optionally per currency) → the GL code the
    accountants' system knows. Unmapped kinds export as UNMAPPED-<kind>, never dropped."""

    account_kind = models.CharField(max_length=32, choices=_ACCOUNT_KINDS)
    currency = models.CharField(max_length=3, blank=True, default="", help_text="Blank: every currency.")
    gl_code = models.CharField(max_length=40)
    gl_name = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_kind", "currency"], name="recon_gl_map_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_kind} {self.currency or '*'} → {self.gl_code}"


class AccountingPeriod(TimeStampedModel):
    """A period of the books [start, end). Closing it locks it: an entry created afterwards with
    an effective date inside it is booked in the period open when it was made; an admin may
    reopen it (audited)."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    start = models.DateField(unique=True)
    end = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="recon_period_order")
        ]
        permissions = [
            ("close_accountingperiod", "Can close an accounting period"),
            ("reopen_accountingperiod", "Can reopen a closed accounting period"),
        ]

    def __str__(self) -> str:
        return f"{self.start}…{self.end} ({self.status})"
