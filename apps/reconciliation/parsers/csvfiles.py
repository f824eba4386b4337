"""One CSV engine for acquirer files: a layout names the header of each field and how values
read; a row's error names its row and column, and a file with any error posts nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from .base import (
    AcquirerRow,
    BankRow,
    FieldError,
    ParsedFile,
    RowError,
    currency_code,
    minor_units,
    parse_date,
)

MAX_ROWS = 2_000_000


class CellError(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field, self.message = field_name, message


@dataclass(frozen=True)
class Layout:
    name: str
    columns: dict[str, str]  # field → header
    required: tuple[str, ...]
    record_types: dict[str, str] = field(default_factory=dict)  # value → our type ("" skips the row)
    date_format: str = "%Y-%m-%d"
    major_units: bool = True
    delimiter: str = ","
    decimal: str = "."
    default_record_type: str = "capture"
    # Computes fields that no single column holds (Adyen's debit/credit pairs and fee parts).
    derive: Callable[[dict[str, str]], dict[str, str]] | None = None
    # The reference field depends on the record type (Stripe: charge_id / refund_id / dispute_id).
    reference_by_type: dict[str, str] = field(default_factory=dict)
    bank: bool = False


def _decode(content: bytes) -> str:
    text = content.decode("utf-8-sig")
    return text


def _reader(content: bytes, layout: Layout) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(_decode(content)), delimiter=layout.delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return [], []
    return [h.strip() for h in rows[0]], rows[1:]


def header_errors(header: list[str], layout: Layout) -> list[RowError]:
    missing = [layout.columns[f] for f in layout.required if layout.columns.get(f) not in header]
    return [RowError(0, column, "column missing from the header") for column in missing]


def _value(record: dict[str, str], layout: Layout, name: str) -> str:
    header = layout.columns.get(name)
    return (record.get(header, "") if header else "").strip()


def _acquirer_row(number: int, record: dict[str, str], layout: Layout) -> AcquirerRow | None:
    raw = dict(record)
    if layout.derive is not None:
        record = {**record, **layout.derive(record)}
    raw_type = _value(record, layout, "record_type")
    if layout.record_types:
        key = raw_type.lower()
        if key not in {k.lower() for k in layout.record_types}:
            raise CellError("record_type", f"unknown record type {raw_type!r}")
        record_type = {k.lower(): v for k, v in layout.record_types.items()}[key]
        if not record_type:
            return None
    else:
        record_type = raw_type.lower() or layout.default_record_type
    fields = {}
    for name, parse in (
        ("currency", lambda v: currency_code(v)),
        ("settlement_date", lambda v: parse_date(v, layout.date_format)),
    ):
        try:
            fields[name] = parse(_value(record, layout, name))
        except FieldError as exc:
            raise CellError(name, str(exc)) from None
    currency = fields["currency"]
    amounts = {}
    for name in ("gross", "fee"):
        text = _value(record, layout, name)
        if name == "fee" and not text:
            amounts[name] = 0
            continue
        try:
            amounts[name] = minor_units(text, currency, major=layout.major_units, decimal=layout.decimal)
        except FieldError as exc:
            raise CellError(name, str(exc)) from None
    reference_field = layout.reference_by_type.get(record_type, "psp_reference")
    reference = _value(record, layout, reference_field) or _value(record, layout, "psp_reference")
    if record_type != "payout" and not reference:
        raise CellError(reference_field, "empty reference")
    return AcquirerRow(
        row_number=number,
        settled_on=fields["settlement_date"],
        record_type=record_type,
        psp_reference=reference,
        merchant_reference=_value(record, layout, "merchant_reference"),
        currency=currency,
        gross=amounts["gross"],
        # Files show fees as positive costs; a layout whose fees are negative is normalised here.
        fee=abs(amounts["fee"]),
        payout_reference=_value(record, layout, "payout_reference"),
        raw=raw,
    )


def _bank_row(number: int, record: dict[str, str], layout: Layout) -> BankRow:
    try:
        currency = currency_code(_value(record, layout, "currency"))
    except FieldError as exc:
        raise CellError("currency", str(exc)) from None
    try:
        booked = parse_date(_value(record, layout, "booking_date"), layout.date_format)
    except FieldError as exc:
        raise CellError("booking_date", str(exc)) from None
    try:
        amount = minor_units(
            _value(record, layout, "amount"), currency, major=layout.major_units, decimal=layout.decimal
        )
    except FieldError as exc:
        raise CellError("amount", str(exc)) from None
    if _value(record, layout, "credit_debit").upper() in ("D", "DBIT", "DEBIT", "DR"):
        amount = -abs(amount)
    return BankRow(number, booked, amount, currency, _value(record, layout, "reference"),
                   _value(record, layout, "counterparty"), dict(record))  # fmt: skip


def iter_csv(content: bytes, layout: Layout):
    """Yields each row as it is read — ``(row, None)``, ``(None, error)`` or ``(None, None)`` for a
    row the layout skips — without holding the file's rows in memory (1 M-line files)."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, delimiter=layout.delimiter)
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except (UnicodeDecodeError, csv.Error) as exc:
        yield None, RowError(0, "", f"not a readable CSV file: {exc}")
        return
    if header is None:
        yield None, RowError(0, "", "the file is empty")
        return
    header = [h.strip() for h in header]
    missing = header_errors(header, layout)
    if missing:
        yield from ((None, e) for e in missing)
        return
    width = len(header)
    number = 0
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            if number > MAX_ROWS:
                yield None, RowError(number, "", f"more than {MAX_ROWS} rows")
                return
            if len(cells) != width:
                yield None, RowError(number, "", f"{len(cells)} cells, the header has {width}")
                continue
            record = dict(zip(header, cells, strict=True))
            try:
                yield (
                    (
                        _bank_row(number, record, layout)
                        if layout.bank
                        else _acquirer_row(number, record, layout)
                    ),
                    None,
                )
            except CellError as exc:
                yield None, RowError(number, layout.columns.get(exc.field, exc.field), exc.message)
    except (UnicodeDecodeError, csv.Error) as exc:
        yield None, RowError(number + 1, "", f"not a readable CSV row: {exc}")


def parse_csv(content: bytes, layout: Layout) -> ParsedFile:
    parsed = ParsedFile()
    for row, error in iter_csv(content, layout):
        if error is not None:
            parsed.errors.append(error)
        elif row is not None:
            (parsed.bank if layout.bank else parsed.acquirer).append(row)
    return parsed
