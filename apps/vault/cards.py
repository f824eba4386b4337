"""Card number validation, brand detection and BIN lookup.

Pure Python (no Django): the services call `validate_card(...)` before anything is stored.
Error codes and params follow Stripe: `invalid_number` (not a card number at all: wrong
characters, unknown brand or wrong length for the brand), `incorrect_number` (Luhn check
fails), `invalid_expiry_month`, `invalid_expiry_year`, `expired_card` (a well-formed expiry
in the past), `invalid_cvc`; params are `card[number]`, `card[exp_month]`, `card[exp_year]`,
`card[cvc]`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from apps.vault.errors import (
    CardCvcInvalid,
    CardExpired,
    CardExpiryMonthInvalid,
    CardExpiryYearInvalid,
    CardExpiryYearPast,
    CardNumberIncorrect,
    CardNumberInvalid,
    CardValidationError,
)

__all__ = [
    "BIN_TABLE",
    "BRANDS",
    "BinInfo",
    "ValidatedCard",
    "bin_lookup",
    "cvc_length",
    "detect_brand",
    "last4",
    "luhn_valid",
    "normalize_number",
    "validate_card",
    "validate_cvc",
    "validate_expiry",
    "validate_number",
]

# Brand → allowed PAN lengths and CVC length.
BRANDS: dict[str, dict[str, tuple[int, ...] | int]] = {
    "visa": {"lengths": (13, 16, 19), "cvc": 3},
    "mastercard": {"lengths": (16,), "cvc": 3},
    "amex": {"lengths": (15,), "cvc": 4},
    "discover": {"lengths": (16, 17, 18, 19), "cvc": 3},
    "jcb": {"lengths": (16, 17, 18, 19), "cvc": 3},
    "diners": {"lengths": (14, 15, 16, 17, 18, 19), "cvc": 3},
    "unionpay": {"lengths": (16, 17, 18, 19), "cvc": 3},
}

# Ordered: the first matching rule wins, so narrower ranges come before wider ones
# (Discover's 6011/644-649/65 before UnionPay's 62/81).
# Each rule: (brand, prefix length, low, high) — the first `prefix length` digits as an
# integer must lie in [low, high].
_BRAND_RULES: tuple[tuple[str, int, int, int], ...] = (
    ("amex", 2, 34, 34),
    ("amex", 2, 37, 37),
    ("mastercard", 2, 51, 55),
    ("mastercard", 4, 2221, 2720),
    ("discover", 4, 6011, 6011),
    ("discover", 3, 644, 649),
    ("discover", 2, 65, 65),
    ("jcb", 4, 3528, 3589),
    ("diners", 3, 300, 305),
    ("diners", 4, 3095, 3095),
    ("diners", 2, 36, 36),
    ("diners", 2, 38, 39),
    ("unionpay", 2, 62, 62),
    ("unionpay", 2, 81, 81),
    ("visa", 1, 4, 4),
)

_SEPARATORS = re.compile(r"[ \-]")
_DIGITS = re.compile(r"^[0-9]+$")
# The longest PAN any brand allows; anything longer is not a card number.
_MAX_LEN = 19
_MIN_LEN = 12


@dataclass(frozen=True)
class BinInfo:
    funding: str  # credit | debit | prepaid | unknown
    country: str | None  # ISO 3166-1 alpha-2 of the issuer, or None when unknown


# Sandbox BIN table (longest prefix wins). It covers Stripe's published test cards so the
# sandbox behaves like Stripe's: brand cards, debit/prepaid cards, decline and 3DS cards,
# and the international cards whose digits 7-9 carry the ISO 3166 numeric country code.
BIN_TABLE: dict[str, BinInfo] = {
    # Visa
    "424242": BinInfo("credit", "US"),
    "400005": BinInfo("debit", "US"),
    "40000000": BinInfo("credit", "US"),  # decline / 3DS / CVC / expiry behaviour cards
    "410000": BinInfo("credit", "US"),  # highest-risk card
    # Mastercard
    "555555": BinInfo("credit", "US"),
    "222300": BinInfo("credit", "US"),
    "520082": BinInfo("debit", "US"),
    "510510": BinInfo("prepaid", "US"),
    # American Express
    "378282": BinInfo("credit", "US"),
    "371449": BinInfo("credit", "US"),
    # Discover
    "601111": BinInfo("credit", "US"),
    "601100": BinInfo("credit", "US"),
    "601109": BinInfo("debit", "US"),
    # Diners Club
    "305693": BinInfo("credit", "US"),
    "362272": BinInfo("credit", "US"),
    # JCB
    "356600": BinInfo("credit", "JP"),
    # UnionPay
    "620000": BinInfo("credit", "CN"),
    # International test cards: 400000 + ISO numeric country + …
    "400000032": BinInfo("credit", "AR"),
    "400000036": BinInfo("credit", "AU"),
    "400000040": BinInfo("credit", "AT"),
    "400000056": BinInfo("credit", "BE"),
    "400000076": BinInfo("credit", "BR"),
    "400000124": BinInfo("credit", "CA"),
    "400000208": BinInfo("credit", "DK"),
    "400000246": BinInfo("credit", "FI"),
    "400000250": BinInfo("credit", "FR"),
    "400000276": BinInfo("credit", "DE"),
    "400000344": BinInfo("credit", "HK"),
    "400000356": BinInfo("credit", "IN"),
    "400000372": BinInfo("credit", "IE"),
    "400000380": BinInfo("credit", "IT"),
    "400000392": BinInfo("credit", "JP"),
    "400000442": BinInfo("credit", "LU"),
    "400000484": BinInfo("credit", "MX"),
    "400000528": BinInfo("credit", "NL"),
    "400000554": BinInfo("credit", "NZ"),
    "400000578": BinInfo("credit", "NO"),
    "400000616": BinInfo("credit", "PL"),
    "400000620": BinInfo("credit", "PT"),
    "400000702": BinInfo("credit", "SG"),
    "400000724": BinInfo("credit", "ES"),
    "400000752": BinInfo("credit", "SE"),
    "400000756": BinInfo("credit", "CH"),
    "400000826": BinInfo("credit", "GB"),
    "400005826": BinInfo("debit", "GB"),
}

_UNKNOWN_BIN = BinInfo("unknown", None)
_BIN_PREFIX_LENGTHS = sorted({len(p) for p in BIN_TABLE}, reverse=True)


@dataclass(frozen=True)
class ValidatedCard:
    """A card that passed validation. Holds the PAN: keep it in memory only, never log it."""

    number: str
    brand: str
    exp_month: int
    exp_year: int  # always four digits
    funding: str
    country: str | None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never leak the PAN through a repr in a traceback or log
        return (
            f"ValidatedCard(brand={self.brand!r}, last4={self.last4!r}, "
            f"exp={self.exp_month:02d}/{self.exp_year})"
        )

    __str__ = __repr__


def normalize_number(number: object) -> str:
    """Strip spaces and hyphens; the result may still be invalid."""
    if not isinstance(number, str):
        if isinstance(number, int) and not isinstance(number, bool):
            number = str(number)
        else:
            raise CardNumberInvalid()
    return _SEPARATORS.sub("", number.strip())


def luhn_valid(number: str) -> bool:
    if not number or not _DIGITS.match(number):
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def detect_brand(number: str) -> str | None:
    """Brand from the leading digits, or None when no rule matches."""
    if not number or not _DIGITS.match(number):
        return None
    for brand, size, low, high in _BRAND_RULES:
        if len(number) >= size and low <= int(number[:size]) <= high:
            return brand
    return None


def cvc_length(brand: str | None) -> int:
    if brand in BRANDS:
        return int(BRANDS[brand]["cvc"])  # type: ignore[arg-type]
    return 3


def last4(number: str) -> str:
    return normalize_number(number)[-4:]


def bin_lookup(number: str) -> BinInfo:
    """Funding and issuing country from the sandbox BIN table (longest prefix wins)."""
    for size in _BIN_PREFIX_LENGTHS:
        info = BIN_TABLE.get(number[:size])
        if info is not None and len(number) >= size:
            return info
    return _UNKNOWN_BIN


def validate_number(number: object) -> tuple[str, str]:
    """Return (normalized number, brand) or raise a CardValidationError."""
    digits = normalize_number(number)
    if not digits or not _DIGITS.match(digits) or not (_MIN_LEN <= len(digits) <= _MAX_LEN):
        raise CardNumberInvalid()
    brand = detect_brand(digits)
    if brand is None:
        raise CardNumberInvalid()
    if len(digits) not in BRANDS[brand]["lengths"]:  # type: ignore[operator]
        raise CardNumberInvalid()
    if not luhn_valid(digits):
        raise CardNumberIncorrect()
    return digits, brand


def _as_int(value: object, *, error: type[CardValidationError]) -> int:
    if isinstance(value, bool):
        raise error()
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    raise error()


def validate_expiry(exp_month: object, exp_year: object, *, today: dt.date | None = None) -> tuple[int, int]:
    """Return (month, four-digit year) or raise.

    Years may be given with two digits (``27`` → 2027). A card expires at the end of its
    expiry month. Years more than 50 years ahead are rejected as invalid.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    month = _as_int(exp_month, error=CardExpiryMonthInvalid)
    if not 1 <= month <= 12:
        raise CardExpiryMonthInvalid()
    year = _as_int(exp_year, error=CardExpiryYearInvalid)
    raw_year = str(exp_year).strip() if isinstance(exp_year, str) else str(year)
    if 0 <= year <= 99 and len(raw_year) <= 2:
        year += 2000
    elif not 1000 <= year <= 9999:
        raise CardExpiryYearInvalid()
    if year > today.year + 50:
        raise CardExpiryYearInvalid()
    if year < today.year:
        raise CardExpiryYearPast()
    if year == today.year and month < today.month:
        raise CardExpired()
    return month, year


def validate_cvc(cvc: object, brand: str | None) -> None:
    """A CVC is optional (None or ""); when given it must have the brand's length."""
    if cvc is None or cvc == "":
        return
    if isinstance(cvc, bool):
        raise CardCvcInvalid()
    if isinstance(cvc, int):
        cvc = str(cvc)
    if not isinstance(cvc, str):
        raise CardCvcInvalid()
    cvc = cvc.strip()
    if not _DIGITS.match(cvc) or len(cvc) != cvc_length(brand):
        raise CardCvcInvalid()


def validate_card(
    number: object,
    exp_month: object,
    exp_year: object,
    cvc: object = None,
    *,
    today: dt.date | None = None,
) -> ValidatedCard:
    """Validate in Stripe's order (number, expiry, CVC) and return the card's facts.

    The CVC is checked but not returned: it is never stored anywhere.
    """
    digits, brand = validate_number(number)
    month, year = validate_expiry(exp_month, exp_year, today=today)
    validate_cvc(cvc, brand)
    info = bin_lookup(digits)
    return ValidatedCard(
        number=digits,
        brand=brand,
        exp_month=month,
        exp_year=year,
        funding=info.funding,
        country=info.country,
    )


_PAN_LIKE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def contains_card_number(value: str) -> bool:
    """Whether ``value`` holds a card number (a Luhn-valid run of 13-19 digits of a known brand,
    spaces or dashes allowed): such a value must go through card tokenization, never sit in a
    token column or a provider token."""
    for match in _PAN_LIKE.finditer(value):
        digits = re.sub(r"[ -]", "", match.group())
        if luhn_valid(digits) and detect_brand(digits):
            return True
    return False
