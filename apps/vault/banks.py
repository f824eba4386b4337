"""Bank account validation: IBAN (ISO 13616 mod-97), ABA routing numbers, account numbers.

Pure Python (no Django). Error codes follow Stripe: `invalid_bank_account_iban`,
`routing_number_invalid`, `account_number_invalid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.vault.errors import (
    AccountNumberInvalid,
    AccountNumberIsRoutingNumber,
    BankAccountHolderTypeInvalid,
    BankAccountTypeInvalid,
    IbanCountryUnsupported,
    IbanInvalid,
    IbanLengthInvalid,
    IbanNotSepa,
    RoutingNumberInvalid,
    RoutingNumberLengthInvalid,
)

__all__ = [
    "IBAN_LENGTHS",
    "SEPA_COUNTRIES",
    "ValidatedIban",
    "ValidatedUsBankAccount",
    "aba_checksum_valid",
    "iban_checksum_valid",
    "normalize_iban",
    "validate_account_number",
    "validate_iban",
    "validate_routing_number",
    "validate_us_bank_account",
]

# IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# Countries in the SEPA scheme: the only ones a sepa_debit payment method accepts.
SEPA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR",
        "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT",
        "RO", "SE", "SI", "SK", "SM", "VA", "AD",
    }
)  # fmt: skip

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")
_IBAN_SEPARATORS = re.compile(r"[ \-]")
_DIGITS = re.compile(r"^[0-9]+$")

# First two digits of a valid ABA routing number: Federal Reserve districts 01-12,
# thrift institutions 21-32, electronic 61-72, traveller's cheques 80, and 00 for the government.
_ABA_PREFIXES = frozenset(
    [f"{n:02d}" for n in range(0, 13)]
    + [f"{n:02d}" for n in range(21, 33)]
    + [f"{n:02d}" for n in range(61, 73)]
    + ["80"]
)


@dataclass(frozen=True)
class ValidatedIban:
    iban: str  # normalized: uppercase, no spaces
    country: str
    bank_code: str

    @property
    def last4(self) -> str:
        return self.iban[-4:]

    def __repr__(self) -> str:
        return f"ValidatedIban(country={self.country!r}, last4={self.last4!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class ValidatedUsBankAccount:
    routing_number: str
    account_number: str
    account_type: str  # checking | savings
    account_holder_type: str  # individual | company

    @property
    def last4(self) -> str:
        return self.account_number[-4:]

    def __repr__(self) -> str:
        return f"ValidatedUsBankAccount(routing_number={self.routing_number!r}, last4={self.last4!r})"

    __str__ = __repr__


def normalize_iban(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return _IBAN_SEPARATORS.sub("", value.strip()).upper()


def iban_checksum_valid(iban: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN (letters as 10..35)."""
    if not _IBAN_SHAPE.match(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for char in rearranged:
        value = int(char, 36)  # '0'-'9' → 0-9, 'A'-'Z' → 10-35
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


# A few national bank-code lengths so the bank code shown back is meaningful; others fall back to 4.
_BANK_CODE_LENGTHS = {
    "DE": 8,
    "AT": 5,
    "NL": 4,
    "FR": 5,
    "ES": 4,
    "IT": 6,
    "BE": 3,
    "GB": 4,
    "IE": 4,
    "CH": 5,
}


def validate_iban(value: object, *, param: str = "sepa_debit[iban]", sepa_only: bool = True) -> ValidatedIban:
    iban = normalize_iban(value)
    if not iban or not _IBAN_SHAPE.match(iban):
        raise IbanInvalid(param=param)
    country = iban[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None:
        raise IbanCountryUnsupported(country=country, param=param)
    if len(iban) != expected:
        raise IbanLengthInvalid(country=country, length=expected, param=param)
    if not iban_checksum_valid(iban):
        raise IbanInvalid(param=param)
    if sepa_only and country not in SEPA_COUNTRIES:
        raise IbanNotSepa(country=country, param=param)
    return ValidatedIban(
        iban=iban, country=country, bank_code=iban[4 : 4 + _BANK_CODE_LENGTHS.get(country, 4)]
    )


def aba_checksum_valid(routing_number: str) -> bool:
    if len(routing_number) != 9 or not _DIGITS.match(routing_number):
        return False
    d = [int(c) for c in routing_number]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0


def validate_routing_number(value: object, *, param: str = "us_bank_account[routing_number]") -> str:
    routing = value.strip() if isinstance(value, str) else ""
    if len(routing) != 9 or not _DIGITS.match(routing):
        raise RoutingNumberLengthInvalid(param=param)
    if routing[:2] not in _ABA_PREFIXES or not aba_checksum_valid(routing):
        raise RoutingNumberInvalid(param=param)
    return routing


def validate_account_number(value: object, *, param: str = "us_bank_account[account_number]") -> str:
    """US account numbers: 4 to 17 digits, not all zeros."""
    account = value.strip() if isinstance(value, str) else ""
    if not 4 <= len(account) <= 17 or not _DIGITS.match(account) or set(account) == {"0"}:
        raise AccountNumberInvalid(param=param)
    return account


def validate_us_bank_account(
    *,
    routing_number: object,
    account_number: object,
    account_type: object = "checking",
    account_holder_type: object = "individual",
) -> ValidatedUsBankAccount:
    routing = validate_routing_number(routing_number)
    account = validate_account_number(account_number)
    if account == routing:
        raise AccountNumberIsRoutingNumber()
    account_type = account_type or "checking"
    if account_type not in ("checking", "savings"):
        raise BankAccountTypeInvalid()
    account_holder_type = account_holder_type or "individual"
    if account_holder_type not in ("individual", "company"):
        raise BankAccountHolderTypeInvalid()
    return ValidatedUsBankAccount(
        routing_number=routing,
        account_number=account,
        account_type=str(account_type),
        account_holder_type=str(account_holder_type),
    )
