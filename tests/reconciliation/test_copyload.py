"""The COPY fast path of acquirer CSVs loads exactly what the row-by-row reader reads, and gives
way to it (with its per-row report) for anything it cannot vouch for."""

import io
from pathlib import Path

import pytest
from django.db import connection, transaction

from apps.reconciliation.models import ColumnMapping, SettlementBatch, SettlementFile, SettlementLine
from apps.reconciliation.parsers import parse_file
from apps.reconciliation.parsers.layouts import BUILT_IN, layout_from_mapping
from apps.reconciliation.services import ingest, settlement_file_ingest
from apps.reconciliation.services.copyload import stream_acquirer_copy
from apps.reconciliation.services.ingest import _new_batches

from .factories import ACTOR

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db

SANDBOX = (
    b"settlement_date,record_type,psp_reference,merchant_reference,currency,gross,fee,net,payout_reference\n"
    b"2026-11-30,capture,sbxch_1,ch_1,USD,20.00,0.40,19.60,SBXPO-20261130-USD\n"
    b'2026-11-30,capture, sbxch_2 ,"ch,2",USD,"1,234.50",,1234.50,SBXPO-20261130-USD\n'
    b"2026-11-30,refund,sbxre_3,ch_1,usd,-5.00,0,-5.00,SBXPO-20261130-USD\n"
    b"2026-11-30,capture,sbxch_4,ch_4,JPY,1091,26,1065,SBXPO-20261130-JPY\n"
    b"2026-11-30,capture,sbxch_5,ch_5,KWD,1.234,0.010,1.224,SBXPO-20261130-KWD\n"
    b"2026-11-30,payout,,,USD,1249.10,0,1249.10,SBXPO-20261130-USD\n"
)


def _reference_rows(content: bytes, fmt: str, mapping=None) -> list[tuple]:
    parsed = parse_file(content, fmt, mapping=mapping)
    assert not parsed.errors, parsed.errors
    return sorted(
        (r.row_number, r.record_type, r.psp_reference, r.merchant_reference, r.currency, r.gross, r.fee,
         r.settled_on, r.raw)
        for r in parsed.acquirer if r.record_type != "payout"
    )  # fmt: skip


def _loaded_rows(file) -> list[tuple]:
    return sorted(
        (line.row_number, line.record_type, line.psp_reference, line.merchant_reference, line.currency, line.gross,
         line.fee, line.settled_on, line.raw)
        for line in SettlementLine.objects.filter(file=file).select_related("file")
    )  # fmt: skip


def _fast(content: bytes, layout):
    """The fast path alone, rolled back: None when it gives way to the reader."""
    with transaction.atomic(), connection.cursor() as cursor:
        file = SettlementFile.objects.create(format="sandbox_csv", source_kind="acquirer", sha256="0" * 64)
        result = stream_acquirer_copy(cursor, io.BytesIO(content), layout, file_id=file.pk,
                                      batches=lambda keys, payouts: _new_batches(file, keys, payouts))  # fmt: skip
        transaction.set_rollback(True)
    return result


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (SANDBOX, "sandbox_csv"),
        # references that start or end with "v" (PostgreSQL reads an E-string's `\v` as a plain
        # "v", so a whitespace trim written with it ate them: sbxch_…v lost its last character)
        (SANDBOX.replace(b",sbxch_1,ch_1,", b",vsbxch_1v,ch_1v,"), "sandbox_csv"),
        # amounts read as integers from the cell as it is (no point, a bare point, a minus sign,
        # leading zeros) and one read as a number (more decimals than USD has, all zeros)
        (
            SANDBOX.replace(b"USD,20.00,0.40", b"USD,1.230,0.4")
            .replace(b"usd,-5.00,0", b"usd,-0.50,007")
            .replace(b"1249.10,0,", b"20.,0.000,"),
            "sandbox_csv",
        ),
        (
            (SAMPLES / "stripe_itemized_payout_reconciliation.csv").read_bytes(),
            "stripe_payout_reconciliation",
        ),
    ],
)
def test_the_fast_path_loads_what_the_reference_reader_reads(content, fmt):
    assert _fast(content, BUILT_IN[fmt]) is not None  # taken, not given way
    file = settlement_file_ingest(content=content, fmt=fmt, actor=ACTOR)
    assert file.status == "processed"
    assert _loaded_rows(file) == _reference_rows(content, fmt)
    parsed = parse_file(content, fmt)
    assert file.row_count == len(parsed.acquirer)


def test_sandbox_batches_and_payout_lines_from_the_fast_path():
    file = settlement_file_ingest(content=SANDBOX, fmt="sandbox_csv", actor=ACTOR)
    usd = SettlementBatch.objects.get(file=file, currency="USD")
    # 20.00 + 1,234.50 - 5.00; fees 0.40 + 0 (empty) + 0
    assert (usd.gross, usd.fees, usd.net, usd.reported_payout, usd.line_count) == (
        124950,
        40,
        124910,
        124910,
        3,
    )
    assert usd.payout_reference == "SBXPO-20261130-USD"
    assert SettlementBatch.objects.get(file=file, currency="JPY").gross == 1091
    assert SettlementBatch.objects.get(file=file, currency="KWD").gross == 1234


def test_a_generic_mapping_with_a_decimal_comma_and_minor_units_takes_the_fast_path():
    mapping = ColumnMapping.objects.create(
        name="Acquirer X", source_kind="acquirer", delimiter=";", decimal_separator=",", date_format="%d.%m.%Y",
        connector_code="acqx", columns={"settlement_date": "Datum", "psp_reference": "Ref", "currency": "Whg",
                                        "gross": "Brutto", "fee": "Gebuehr", "record_type": "Art"},
        record_types={"Verkauf": "capture", "Gutschrift": "refund", "Info": ""},
    )  # fmt: skip
    content = (
        b"Datum;Art;Ref;Whg;Brutto;Gebuehr\n"
        b"30.11.2026;Verkauf;X-1;EUR;1.234,56;1,20\n"
        b"30.11.2026;Info;;EUR;;\n"
        b"01.12.2026;Gutschrift;X-2;EUR;-10,00;0\n"
    )
    layout = layout_from_mapping(mapping)
    assert _fast(content, layout) is not None
    file = settlement_file_ingest(content=content, fmt="generic_csv", mapping=mapping, actor=ACTOR)
    assert file.status == "processed" and file.row_count == 2  # the "Info" row is skipped by the mapping
    assert _loaded_rows(file) == _reference_rows(content, "generic_csv", mapping)
    assert SettlementBatch.objects.filter(file=file).count() == 2


@pytest.mark.parametrize(
    "broken",
    [
        SANDBOX.replace(b"20.00,0.40", b"20.001,0.40"),  # more decimals than USD has
        SANDBOX.replace(b"USD,20.00", b"USD,2O.00"),  # not an amount
        SANDBOX.replace(b"JPY,1091,", b"JPY,4611686018427387904,"),  # 2**62: out of range
        SANDBOX.replace(b"JPY,1091,", b"JPY,9999999999999999999,"),  # not even a bigint
        SANDBOX.replace(b"1249.10,0,1249.10", b"1249.10,0.0x,1249.10"),  # a payout row's fee
        SANDBOX.replace(b",sbxch_1,", b",,"),  # empty reference
        SANDBOX.replace(b"2026-11-30,refund", b"2026-11-31,refund"),  # no such date
        SANDBOX.replace(b"usd", b"xxx"),  # unknown currency
        SANDBOX.replace(b"capture,sbxch_4", b"sale,sbxch_4"),  # unknown record type
        SANDBOX + b"2026-11-30,capture,sbxch_9\n",  # a ragged row
        SANDBOX.replace(b"\n2026-11-30,refund", b"\n\n2026-11-30,refund"),  # a blank line (renumbers rows)
    ],
)
def test_the_fast_path_gives_way_and_the_reader_reports_the_same_as_before(broken):
    assert _fast(broken, BUILT_IN["sandbox_csv"]) is None
    file = settlement_file_ingest(content=broken, fmt="sandbox_csv", actor=ACTOR)
    reference = parse_file(broken, "sandbox_csv")
    if reference.errors:
        assert file.status == "failed" and file.errors == [e.as_dict() for e in reference.errors]
        assert not SettlementLine.objects.exists()
    else:  # the reader accepts it (a blank line): loaded by the reader, rows numbered as it reads them
        assert file.status == "processed" and _loaded_rows(file) == _reference_rows(broken, "sandbox_csv")


# Cells that text[] must quote or escape (braces, quotes, backslashes, commas, NULL, blanks).
AWKWARD = SANDBOX.replace(b'"ch,2"', b'"c{h},\\2 ""q"" NULL"').replace(b",ch_4,", b", ,")


def _raw_rows(file) -> list[tuple]:
    lines = SettlementLine.objects.filter(file=file).select_related("file").order_by("row_number")
    return [(line.row_number, line.cells, line.raw) for line in lines]


def test_a_line_keeps_its_raw_row_as_its_cells_in_the_order_of_the_files_header():
    file = settlement_file_ingest(content=AWKWARD, fmt="sandbox_csv", actor=ACTOR)
    assert file.status == "processed"
    header = AWKWARD.split(b"\n", 1)[0].decode().split(",")
    assert SettlementFile.objects.get(pk=file.pk).header == header
    rows = _raw_rows(file)
    assert rows[1] == (
        2,
        ["2026-11-30", "capture", " sbxch_2 ", 'c{h},\\2 "q" NULL', "USD", "1,234.50", "", "1234.50",
         "SBXPO-20261130-USD"],
        dict(zip(header, rows[1][1], strict=True)),
    )  # fmt: skip
    assert rows[3][1][3] == " "  # a blank cell is kept as read
    assert [raw for _, _, raw in rows] == [r[-1] for r in _reference_rows(AWKWARD, "sandbox_csv")]


def test_the_reader_path_keeps_the_same_cells_and_header_as_the_fast_path(monkeypatch):
    fast = settlement_file_ingest(content=AWKWARD, fmt="sandbox_csv", actor=ACTOR)
    monkeypatch.setattr(ingest, "stream_acquirer_copy", lambda *args, **kwargs: None)
    read = settlement_file_ingest(content=AWKWARD + b"\n", fmt="sandbox_csv", actor=ACTOR)  # other bytes
    assert read.status == fast.status == "processed"
    assert read.header == fast.header
    assert _raw_rows(read) == _raw_rows(fast)


def test_adyen_lines_keep_the_rows_cells_before_the_derived_fields():
    content = (SAMPLES / "adyen_settlement_details.csv").read_bytes()
    file = settlement_file_ingest(content=content, fmt="adyen_settlement_details", actor=ACTOR)
    assert file.status == "processed"
    line = SettlementLine.objects.filter(file=file).select_related("file").order_by("row_number").first()
    assert "_gross" not in line.raw and line.raw["Type"] and len(line.cells) == len(file.header)
    assert line.raw == next(r[-1] for r in _reference_rows(content, "adyen_settlement_details"))
