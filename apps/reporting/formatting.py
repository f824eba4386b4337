from apps.core.currencies import CURRENCIES


def format_money(amount: int | None, currency: str) -> str:
    """Integer minor units → "1,234.56 USD" using the ISO exponent (no floats)."""
    if amount is None:
        return "—"
    code = (currency or "").upper()
    exponent = CURRENCIES[code].exponent if code in CURRENCIES else 2
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(int(amount)), 10**exponent)
    text = f"{whole:,}" + (f".{frac:0{exponent}d}" if exponent else "")
    return f"{sign}{text} {code}"
