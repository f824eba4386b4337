"""Amounts across the provider boundary: Clearhouse keeps integers in ISO 4217 minor units
(``apps.core.currencies``); many providers take decimal major units ("10.500" IQD, "12.50" EUR),
others minor units with their own exponent table. Conversions here are integer/``Decimal``
arithmetic on the currency table, never floats.

* ``to_major(1050, "EUR") == Decimal("10.50")``; ``to_major(10500, "IQD") == Decimal("10.500")``
* ``major_str(10500, "KWD") == "10.500"`` (the string a JSON/form field carries)
* ``from_major("10.5", "IQD") == 10500``; a value with more decimals than the currency has raises
  ``AmountPrecisionError`` (a provider must never make us round money silently)
* ``to_provider_minor(amount, currency, exponents={"ISK": 2})``: for providers whose table
  differs from ISO's (Stripe counts ISK and UGX with 2 decimals, Adyen has its own list); the
  amount is rescaled exactly or refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from apps.core.currencies import CURRENCIES


class AmountPrecisionError(ValueError):
    """An amount that cannot cross the boundary exactly."""


def exponent(currency: str) -> int:
    try:
        return CURRENCIES[currency.upper()].exponent
    except KeyError:
        raise AmountPrecisionError(f"Unknown currency {currency!r}.") from None


def to_major(amount: int, currency: str) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AmountPrecisionError("Minor-unit amounts are integers.")
    exp = exponent(currency)
    return (Decimal(amount) / (Decimal(10) ** exp)).quantize(Decimal(1).scaleb(-exp))


def major_str(amount: int, currency: str) -> str:
    """The amount as a decimal string with exactly the currency's decimals ("10.500")."""
    return format(to_major(amount, currency), "f")


def from_major(value: str | int | Decimal, currency: str) -> int:
    """Minor units of a provider's major-unit value ("10.5" → 1050 EUR). Floats are refused."""
    if isinstance(value, float):
        raise AmountPrecisionError("Provider amounts are read from their text, never from floats.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise AmountPrecisionError(f"Not an amount: {value!r}.") from None
    scaled = number.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountPrecisionError(f"{value} has more decimals than {currency.upper()} has.")
    return int(scaled)


def to_provider_minor(amount: int, currency: str, *, exponents: Mapping[str, int] | None = None) -> int:
    """Minor units in a provider's own exponent table (ISO's where it names none)."""
    ours = exponent(currency)
    theirs = (exponents or {}).get(currency.upper(), ours)
    if theirs >= ours:
        return amount * 10 ** (theirs - ours)
    factor = 10 ** (ours - theirs)
    if amount % factor:
        raise AmountPrecisionError(f"{amount} {currency.upper()} cannot be sent with {theirs} decimals.")
    return amount // factor


def from_provider_minor(amount: int, currency: str, *, exponents: Mapping[str, int] | None = None) -> int:
    """Our minor units of a provider's minor-unit amount (inverse of ``to_provider_minor``)."""
    ours = exponent(currency)
    theirs = (exponents or {}).get(currency.upper(), ours)
    if ours >= theirs:
        return int(amount) * 10 ** (ours - theirs)
    factor = 10 ** (theirs - ours)
    if int(amount) % factor:
        raise AmountPrecisionError(f"{amount} cannot be held in {currency.upper()}'s {ours} decimals.")
    return int(amount) // factor
