"""Finance configuration of reconciliation: column mappings, tolerances, the acquirers' fee rules,
the chart-of-accounts mapping and accounting periods."""

from django.db import models

from apps.audit.history import track_config
from apps.core.models import TimeStampedModel
from apps.ledger.models import Account

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
