"""ISO 4217 currencies with their minor-unit exponents and the amount limits we accept.

Exponents are ISO's, not CLDR's (IQD, RSD… differ there). `min_amount` is the smallest charge,
in minor units, that card networks accept for the currency (Stripe's published minimums where
they exist, otherwise one major unit's equivalent of about 0.50 USD is not knowable offline so
we use 1 minor unit); `max_amount` is the largest single amount (8 digits, as Stripe)."""

from dataclasses import dataclass

from .errors import AmountTooLarge, AmountTooSmall, CurrencyInvalid, ParameterInvalidInteger


@dataclass(frozen=True)
class Currency:
    code: str
    exponent: int
    min_amount: int = 1
    max_amount: int = 99_999_999
    name: str = ""


_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
    "GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD "
    "MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP "
    "PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
    "TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG"
)

# Smallest chargeable amounts (minor units), from the card networks' practical minimums.
_MINIMUMS = {
    "USD": 50,
    "EUR": 50,
    "GBP": 30,
    "AUD": 50,
    "CAD": 50,
    "CHF": 50,
    "DKK": 250,
    "NOK": 300,
    "SEK": 300,
    "JPY": 50,
    "HKD": 400,
    "SGD": 50,
    "NZD": 50,
    "MXN": 1000,
    "PLN": 200,
    "CZK": 1500,
    "HUF": 17500,
    "BRL": 50,
    "INR": 50,
    "AED": 200,
    "KWD": 150,
    "BHD": 200,
    "JOD": 350,
}
_MAXIMUMS = {"JPY": 9_999_999, "IDR": 99_999_999_999, "KRW": 999_999_999, "VND": 99_999_999_999}


def _build() -> dict[str, Currency]:
    table: dict[str, Currency] = {}
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4)):
        for code in codes.split():
            table[code] = Currency(
                code=code,
                exponent=exponent,
                min_amount=_MINIMUMS.get(code, 1),
                max_amount=_MAXIMUMS.get(code, 99_999_999),
            )
    return table


CURRENCIES: dict[str, Currency] = _build()


def get_currency(code, *, param: str = "currency") -> Currency:
    if not isinstance(code, str) or code.upper() not in CURRENCIES:
        raise CurrencyInvalid(currency=code, param=param)
    return CURRENCIES[code.upper()]


def validate_amount(
    amount, currency: str, *, param: str = "amount", allow_zero: bool = False, enforce_minimum: bool = True
) -> None:
    """Amounts are integers in minor units, positive, within the currency's limits."""
    cur = get_currency(currency)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ParameterInvalidInteger(
            "Amounts are integers in the currency's smallest unit (e.g. 1099 for 10.99 USD).", param=param
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ParameterInvalidInteger(
            "This value must be greater than 0." if not allow_zero else "This value must not be negative.",
            param=param,
        )
    if amount > cur.max_amount:
        raise AmountTooLarge(maximum=format_amount(cur.max_amount, cur.code), param=param)
    if enforce_minimum and 0 < amount < cur.min_amount:
        raise AmountTooSmall(minimum=format_amount(cur.min_amount, cur.code), param=param)


def format_amount(amount: int, currency: str) -> str:
    """Human display, e.g. 123456 USD → '1,234.56 USD' (integer arithmetic, no floats)."""
    cur = CURRENCIES.get(currency.upper())
    exponent = cur.exponent if cur else 2
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(int(amount)), 10**exponent) if exponent else (abs(int(amount)), 0)
    text = f"{whole:,}"
    if exponent:
        text += "." + str(frac).zfill(exponent)
    return f"{sign}{text} {currency.upper()}"
