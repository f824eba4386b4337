import datetime as dt
from pathlib import Path

import pytest

from apps.reconciliation.errors import SettlementFileDuplicate
from apps.reconciliation.models import (
    BankLine,
    ColumnMapping,
    SettlementBatch,
    SettlementFile,
    SettlementLine,
)
from apps.reconciliation.parsers import parse_file
from apps.reconciliation.services import settlement_file_ingest

from .factories import ACTOR, charge_paid, ingest_acquirer_file, refund

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_stripe_itemized_payout_reconciliation_is_parsed_with_the_reference_of_each_category():
    parsed = parse_file(sample("stripe_itemized_payout_reconciliation.csv"), "stripe_payout_reconciliation")
    assert not parsed.errors
    assert [
        (r.record_type, r.psp_reference, r.gross, r.fee, r.payout_reference) for r in parsed.acquirer
    ] == [
        ("capture", "ch_3QabcDEFghiJKL01", 10000, 320, "po_1QxyzABC001"),
        ("refund", "re_3QabcDEFghiJKL02", -2500, 0, "po_1QxyzABC001"),
        ("chargeback", "du_1QabcDEFghiJKL03", -4000, 1500, "po_1QxyzABC001"),
    ]
    assert parsed.acquirer[0].settled_on == dt.date(2026, 11, 30) and parsed.acquirer[0].currency == "USD"


def test_adyen_settlement_details_sums_the_fee_parts_and_uses_the_refund_modification_reference():
    parsed = parse_file(sample("adyen_settlement_details.csv"), "adyen_settlement_details")
    assert not parsed.errors
    settled, refunded, payout = parsed.acquirer
    assert (settled.record_type, settled.psp_reference, settled.gross, settled.fee) == (
        "capture",
        "8535296650153317",
        12000,
        114,
    )
    assert (refunded.record_type, refunded.psp_reference, refunded.gross) == (
        "refund",
        "8835296651234567",
        -2000,
    )
    assert (payout.record_type, payout.gross, payout.payout_reference) == ("payout", 9886, "187")


def test_mt940_statement_is_parsed_with_credits_and_debits():
    parsed = parse_file(sample("statement.mt940"), "mt940")
    assert not parsed.errors, parsed.errors
    credit, debit = parsed.bank
    assert (credit.amount, credit.currency, credit.booked_on) == (9886, "EUR", dt.date(2026, 11, 29))
    assert "SBXPO-20261128-EUR" in credit.reference
    assert debit.amount == -1250


def test_camt053_from_the_sandbox_bank_and_a_generic_bank_csv_with_a_saved_mapping():
    mapping = ColumnMapping.objects.create(
        name="Sparkasse CSV",
        source_kind="bank",
        delimiter=";",
        decimal_separator=",",
        date_format="%d.%m.%Y",
        columns={
            "booking_date": "Buchungstag",
            "amount": "Betrag",
            "currency": "Waehrung",
            "reference": "Verwendungszweck",
            "counterparty": "Auftraggeber",
            "credit_debit": "S/H",
        },
    )
    mapping.columns["credit_debit"] = "S/H"
    parsed = parse_file(sample("generic_bank.csv").replace(b";S\n", b";D\n"), "generic_csv", mapping=mapping)
    assert not parsed.errors, parsed.errors
    assert [(r.amount, r.reference) for r in parsed.bank] == [
        (9680, "SBXPO-20261128-EUR"),
        (-1250, "Kontofuehrung"),
    ]


def test_sandbox_file_from_real_payments_loads_batches_and_lines_with_raw_rows(api, merchant):
    charge = charge_paid(api, merchant, 2000)
    refund(api, charge, 500)
    file = ingest_acquirer_file(merchant)
    assert file.status == "processed" and file.row_count == 3  # capture, refund, payout line
    batch = SettlementBatch.objects.get(file=file)
    assert (batch.gross, batch.fees, batch.net, batch.reported_payout) == (1500, 40, 1460, 1460)
    line = SettlementLine.objects.get(record_type="capture")
    assert line.psp_reference == charge.gateway_reference and line.merchant_reference == charge.public_id
    assert line.raw["gross"] == "20.00"


def test_the_same_file_twice_is_refused_naming_the_first():
    content = sample("statement.mt940")
    first = settlement_file_ingest(content=content, fmt="mt940", actor=ACTOR)
    with pytest.raises(SettlementFileDuplicate) as refused:
        settlement_file_ingest(content=content, fmt="mt940", actor=ACTOR)
    assert first.public_id in refused.value.message
    assert SettlementFile.objects.count() == 1 and BankLine.objects.count() == 2


def test_a_malformed_file_reports_row_and_column_and_posts_nothing():
    content = (
        sample("stripe_itemized_payout_reconciliation.csv")
        .replace(b"96.80", b"96.80")
        .replace(b",25.00,", b",25.00,")
        .replace(b"usd,-25.00", b"usd,-25.0x")
        .replace(b"usd,-40.00", b"xxx,-40.00")
    )
    file = settlement_file_ingest(content=content, fmt="stripe_payout_reconciliation", actor=ACTOR)
    assert file.status == "failed"
    assert {"row": 2, "column": "gross", "message": "not an amount: '-25.0x'"} in file.errors
    assert {"row": 3, "column": "currency", "message": "unknown currency 'xxx'"} in file.errors
    assert not SettlementLine.objects.exists() and not SettlementBatch.objects.exists()


def test_a_missing_header_column_is_reported_as_row_zero():
    file = settlement_file_ingest(content=b"a,b\n1,2\n", fmt="sandbox_csv", actor=ACTOR)
    assert (
        file.status == "failed"
        and {"row": 0, "column": "psp_reference", "message": "column missing from the header"} in file.errors
    )
