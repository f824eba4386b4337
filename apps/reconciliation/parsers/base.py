from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from apps.core.currencies import CURRENCIES


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row (the header is row 0); for XML, the entry's position
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class AcquirerRow:
    row_number: int
    settled_on: dt.date
    record_type: str  # capture | refund | chargeback | adjustment | payout
    psp_reference: str
    merchant_reference: str
    currency: str
    gross: int
    fee: int
    payout_reference: str
    raw: dict


@dataclass(frozen=True)
class BankRow:
    row_number: int
    booked_on: dt.date
    amount: int  # signed: credits positive
    currency: str
    reference: str
    counterparty: str
    raw: dict


@dataclass
class ParsedFile:
    acquirer: list[AcquirerRow] = field(default_factory=list)
    bank: list[BankRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class FieldError(ValueError):
    pass


@functools.lru_cache(maxsize=512)
def currency_code(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise FieldError(f"unknown currency {value!r}")
    return code


def minor_units(value: str, currency: str, *, major: bool = True, decimal: str = ".") -> int:
    """ "12.34" USD → 1234 exactly (refuses more decimals than the currency has); "1,234.50" too,
    and "1.234,50" with decimal=","."""
    text = (value or "").strip().replace(" ", "")
    text = text.replace(".", "").replace(",", ".") if decimal == "," else text.replace(",", "")
    if not text:
        raise FieldError("empty amount")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldError(f"not an amount: {value!r}") from None
    if not number.is_finite():
        raise FieldError(f"not an amount: {value!r}")
    if not major:
        if number != number.to_integral_value():
            raise FieldError(f"minor units must be whole: {value!r}")
        return int(number)
    exponent = CURRENCIES[currency].exponent
    scaled = number.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise FieldError(f"{currency} has {exponent} decimal place(s): {value!r}")
    result = int(scaled)
    if abs(result) >= 2**62:
        raise FieldError(f"amount out of range: {value!r}")
    return result


def parse_date(value: str, fmt: str) -> dt.date:
    return _parse_date((value or "").strip(), fmt)


@functools.lru_cache(maxsize=4096)  # a file holds few distinct dates; strptime is the slowest step
def _parse_date(text: str, fmt: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError:
        pass
    try:  # ISO 8601 with a time part (Stripe: "2026-11-30 00:00:00", Adyen: with a time)
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise FieldError(f"not a date ({fmt}): {text!r}") from None
