"""What was ingested: settlement files, their batches and lines, and bank statement lines."""

from django.db import models

from apps.core.models import PublicIdModel, TimeStampedModel

from ..fields import TextCellsField
from .configuration import ColumnMapping


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
    the queue's search goes through its discrepancies; the index cost most of a load), nor `batch`:
    a batch's lines are read with their file (`selectors.batch_lines`, through the unique index)
    and matching reads lines by window, never by batch (that index cost a tenth of a load)."""

    class RecordType(models.TextChoices):
        CAPTURE = "capture"
        REFUND = "refund"
        CHARGEBACK = "chargeback"
        ADJUSTMENT = "adjustment"

    file = models.ForeignKey(
        SettlementFile, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    batch = models.ForeignKey(
        SettlementBatch, on_delete=models.PROTECT, related_name="lines", db_constraint=False, db_index=False
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
