"""Checkout.com amounts: integers whose scale is Checkout.com's own table, not always ISO 4217's.

Source: Checkout.com "Format the amount value" (https://www.checkout.com/docs/payments/accept-payments/format-the-amount-value):
the full amount for BIF, DJF, GNF, ISK, JPY, KMF, KRW, PYG, RWF, UGX, VUV, VND, XAF, XOF, XPF
(ISO gives ISK and UGX 0 decimals too, so these match ISO); divided by 1000 for BHD, IQD, JOD,
KWD, LYD, OMR, TND, where "the last digit must always be a 0"; divided by 100 for the rest. The
conversion is the currency table's (apps.connectors.money), exact or refused.
"""

from __future__ import annotations

from apps.connectors import money

THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
ZERO_DECIMALS = frozenset(
    {"BIF", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VUV", "VND", "XAF", "XOF", "XPF"}
)
# Where Checkout.com's scale differs from the currency table's ISO exponent.
EXPONENTS = {code: 0 for code in ZERO_DECIMALS} | {code: 3 for code in THREE_DECIMALS}
MAX_DIGITS = 9


def to_checkout(amount: int, currency: str) -> int:
    value = money.to_provider_minor(amount, currency, exponents=EXPONENTS)
    if currency.upper() in THREE_DECIMALS and value % 10:
        raise money.AmountPrecisionError(
            f"Checkout.com takes {currency.upper()} amounts ending in 0 (whole hundredths)."
        )
    if value <= 0 or len(str(value)) > MAX_DIGITS:
        raise money.AmountPrecisionError("Checkout.com takes 1 to 9 digit amounts.")
    return value


def from_checkout(amount: int, currency: str) -> int:
    return money.from_provider_minor(int(amount), currency, exponents=EXPONENTS)
