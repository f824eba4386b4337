"""The built-in acquirer layouts. Sources:

* ``sandbox_csv`` — the sandbox acquirer's file (``apps/connectors/sandbox/settlement.py``).
* ``stripe_payout_reconciliation`` — Stripe's "Itemized payout reconciliation" report
  (``payout_reconciliation.itemized.5``; docs.stripe.com/reports/payout-reconciliation): one row
  per balance transaction, ``gross``/``fee``/``net`` in major units, ``reporting_category``
  (charge, refund, dispute, dispute_reversal, fee, …) and the payout it was paid in.
* ``adyen_settlement_details`` — Adyen's "Settlement details report" (docs.adyen.com/reporting/
  settlement-detail-report): ``Type`` (Settled, Refunded, Chargeback, MerchantPayout, Fee, …),
  gross as a debit/credit pair in the gross currency, the fee as Commission + Markup + Scheme
  Fees + Interchange in the net currency, ``Batch Number`` per payout.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .csvfiles import Layout

SANDBOX = Layout(
    name="sandbox_csv",
    columns={
        "settlement_date": "settlement_date",
        "record_type": "record_type",
        "psp_reference": "psp_reference",
        "merchant_reference": "merchant_reference",
        "currency": "currency",
        "gross": "gross",
        "fee": "fee",
        "payout_reference": "payout_reference",
    },
    required=("settlement_date", "record_type", "psp_reference", "currency", "gross", "fee"),
    record_types={
        "capture": "capture",
        "refund": "refund",
        "chargeback": "chargeback",
        "adjustment": "adjustment",
        "payout": "payout",
    },
)

STRIPE = Layout(
    name="stripe_payout_reconciliation",
    columns={
        "settlement_date": "automatic_payout_effective_at",
        "record_type": "reporting_category",
        "psp_reference": "source_id",
        "charge_id": "charge_id",
        "refund_id": "refund_id",
        "dispute_id": "dispute_id",
        "merchant_reference": "payment_metadata[order_id]",
        "currency": "currency",
        "gross": "gross",
        "fee": "fee",
        "payout_reference": "automatic_payout_id",
    },
    required=("settlement_date", "record_type", "currency", "gross", "fee", "payout_reference"),
    record_types={
        "charge": "capture",
        "refund": "refund",
        "dispute": "chargeback",
        "dispute_reversal": "adjustment",
        "fee": "adjustment",
        "other_adjustment": "adjustment",
        "payout": "payout",
        "payout_reversal": "",
    },
    date_format="%Y-%m-%d %H:%M:%S",
    reference_by_type={"capture": "charge_id", "refund": "refund_id", "chargeback": "dispute_id"},
)


def _decimal(value: str) -> Decimal:
    try:
        return Decimal((value or "0").strip() or "0")
    except InvalidOperation:
        return Decimal("NaN")


def _adyen_derive(record: dict[str, str]) -> dict[str, str]:
    gross = _decimal(record.get("Gross Credit (GC)", "")) - _decimal(record.get("Gross Debit (GC)", ""))
    fee = sum(
        (_decimal(record.get(name, "")) for name in
         ("Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)")),
        Decimal(0),
    )  # fmt: skip
    kind = (record.get("Type") or "").strip()
    reference = record.get("Psp Reference", "")
    if kind in ("Refunded", "RefundedExternally") and record.get("Modification Reference"):
        reference = record["Modification Reference"]
    if kind == "MerchantPayout":  # the payout line: its amount is the net paid, as a debit
        gross = _decimal(record.get("Net Debit (NC)", "")) - _decimal(record.get("Net Credit (NC)", ""))
    return {"_gross": format(gross, "f"), "_fee": format(fee, "f"), "_reference": reference.strip()}


ADYEN = Layout(
    name="adyen_settlement_details",
    columns={
        "settlement_date": "Creation Date",
        "record_type": "Type",
        "psp_reference": "_reference",
        "merchant_reference": "Merchant Reference",
        "currency": "Gross Currency",
        "gross": "_gross",
        "fee": "_fee",
        "payout_reference": "Batch Number",
    },
    required=("settlement_date", "record_type", "currency"),
    record_types={
        "Settled": "capture",
        "SettledExternally": "capture",
        "Refunded": "refund",
        "RefundedExternally": "refund",
        "Chargeback": "chargeback",
        "ChargebackReversed": "adjustment",
        "SecondChargeback": "chargeback",
        "Fee": "adjustment",
        "MiscCosts": "adjustment",
        "MerchantPayout": "payout",
        "Balancetransfer": "",
        "DepositCorrection": "adjustment",
    },
    date_format="%Y-%m-%d %H:%M:%S",
    derive=_adyen_derive,
)

BUILT_IN = {layout.name: layout for layout in (SANDBOX, STRIPE, ADYEN)}


def layout_from_mapping(mapping) -> Layout:
    """A finance user's saved ColumnMapping as a layout for the same engine."""
    bank = mapping.source_kind == "bank"
    required = mapping.BANK_REQUIRED if bank else mapping.ACQUIRER_REQUIRED
    return Layout(
        name=f"generic_csv:{mapping.name}",
        columns={k: v for k, v in (mapping.columns or {}).items() if v},
        required=tuple(required),
        record_types=dict(mapping.record_types or {}),
        date_format=mapping.date_format or "%Y-%m-%d",
        major_units=mapping.amount_unit == "major",
        delimiter=mapping.delimiter or ",",
        decimal=mapping.decimal_separator or ".",
        bank=bank,
    )
