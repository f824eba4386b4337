"""Exchange-rate arithmetic: conversion in minor units, the maximum age of a usable rate, and the
rate providers. Providers are callables returning an iterable of `RateQuote`; the setting
`LEDGER_FX_PROVIDER` names one by dotted path ("" disables the refresh task). `sandbox_provider`
is a deterministic provider for the demo and tests. Lookups live in selectors, writes in services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone

from apps.core.currencies import get_currency


@dataclass(frozen=True)
class RateQuote:
    base: str
    quote: str
    rate: Decimal
    as_of: datetime


@dataclass(frozen=True)
class FoundRate:
    rate: Decimal  # 1 base = rate quote (inverted already when only the reverse pair exists)
    as_of: datetime
    rate_id: int


def max_rate_age() -> timedelta:
    return timedelta(hours=getattr(settings, "LEDGER_FX_MAX_RATE_AGE_HOURS", 24))


def convert(amount: int, *, rate: Decimal, source: str, target: str) -> int:
    """Minor units of `source` → minor units of `target`, rounded half up (exponents honoured:
    1000 JPY at 0.0067 USD/JPY = 670 cents)."""
    shift = get_currency(target).exponent - get_currency(source).exponent
    value = Decimal(amount) * rate * (Decimal(10) ** shift)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sandbox_provider() -> list[RateQuote]:
    """Fixed demo rates (USD base) stamped now; deterministic for tests and the demo."""
    now = timezone.now()
    table = {"EUR": "0.92", "GBP": "0.79", "JPY": "151.20", "CAD": "1.36", "JOD": "0.709", "AUD": "1.52"}
    return [RateQuote(base="USD", quote=code, rate=Decimal(rate), as_of=now) for code, rate in table.items()]
