"""Exchange rates: lookup with a maximum age, conversion in minor units, pluggable providers.

Providers are callables returning an iterable of `RateQuote`; the setting `LEDGER_FX_PROVIDER`
names one by dotted path ("" disables the refresh task). `sandbox_provider` is a deterministic
provider for the demo and tests.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from apps.core.currencies import get_currency
from apps.core.errors import InvalidRequestError

from .models import ExchangeRate


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


def rate_find(*, base: str, quote: str, at: datetime | None = None) -> FoundRate | None:
    """The latest rate base→quote not older than the configured age (direct pair first, then
    the inverse of quote→base), or None."""
    at = at or timezone.now()
    oldest = at - max_rate_age()
    direct = (
        ExchangeRate.objects.filter(base=base, quote=quote, as_of__gte=oldest, as_of__lte=at)
        .order_by("-as_of")
        .first()
    )
    if direct is not None:
        return FoundRate(rate=direct.rate, as_of=direct.as_of, rate_id=direct.pk)
    inverse = (
        ExchangeRate.objects.filter(base=quote, quote=base, as_of__gte=oldest, as_of__lte=at)
        .order_by("-as_of")
        .first()
    )
    if inverse is not None:
        rate = (Decimal(1) / inverse.rate).quantize(Decimal("0.000000000001"))
        return FoundRate(rate=rate, as_of=inverse.as_of, rate_id=inverse.pk)
    return None


def convert(amount: int, *, rate: Decimal, source: str, target: str) -> int:
    """Minor units of `source` → minor units of `target`, rounded half up (exponents honoured:
    1000 JPY at 0.0067 USD/JPY = 670 cents)."""
    shift = get_currency(target).exponent - get_currency(source).exponent
    value = Decimal(amount) * rate * (Decimal(10) ** shift)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def exchange_rate_record(*, base: str, quote: str, rate, as_of: datetime, source: str) -> ExchangeRate:
    base, quote = base.strip().upper(), quote.strip().upper()
    get_currency(base)
    get_currency(quote)
    if base == quote:
        raise InvalidRequestError("base and quote must differ.", code="parameter_invalid", param="quote")
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        raise InvalidRequestError(f"Invalid rate {rate!r}.", code="parameter_invalid", param="rate") from None
    if not value.is_finite() or value <= 0:
        raise InvalidRequestError("rate must be a positive number.", code="parameter_invalid", param="rate")
    row, _ = ExchangeRate.objects.update_or_create(
        base=base, quote=quote, as_of=as_of, defaults={"rate": value, "source": source}
    )
    return row


def exchange_rates_import_csv(text: str, *, source: str = ExchangeRate.Source.CSV) -> int:
    """CSV with a header `base,quote,rate,as_of` (as_of ISO 8601; empty = now). All or nothing."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"base", "quote", "rate"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidRequestError(
            f"CSV header must contain base,quote,rate[,as_of]; missing {sorted(missing)}.",
            code="parameter_invalid",
            param="file",
        )
    count = 0
    with transaction.atomic():
        for line, row in enumerate(reader, start=2):
            raw_as_of = (row.get("as_of") or "").strip()
            as_of = parse_datetime(raw_as_of) if raw_as_of else timezone.now()
            if as_of is None:
                raise InvalidRequestError(
                    f"Line {line}: invalid as_of {raw_as_of!r}.", code="parameter_invalid", param="as_of"
                )
            if timezone.is_naive(as_of):
                as_of = as_of.replace(tzinfo=UTC)
            try:
                exchange_rate_record(
                    base=row["base"], quote=row["quote"], rate=row["rate"], as_of=as_of, source=source
                )
            except InvalidRequestError as exc:
                raise InvalidRequestError(
                    f"Line {line}: {exc.message}", code=exc.code, param=exc.param
                ) from None
            count += 1
    return count


def sandbox_provider() -> list[RateQuote]:
    """Fixed demo rates (USD base) stamped now; deterministic for tests and the demo."""
    now = timezone.now()
    table = {"EUR": "0.92", "GBP": "0.79", "JPY": "151.20", "CAD": "1.36", "JOD": "0.709", "AUD": "1.52"}
    return [RateQuote(base="USD", quote=code, rate=Decimal(rate), as_of=now) for code, rate in table.items()]


def exchange_rates_refresh() -> int:
    path = getattr(settings, "LEDGER_FX_PROVIDER", "")
    if not path:
        return 0
    provider = import_string(path)
    count = 0
    for quote in provider():
        exchange_rate_record(
            base=quote.base,
            quote=quote.quote,
            rate=quote.rate,
            as_of=quote.as_of,
            source=ExchangeRate.Source.PROVIDER,
        )
        count += 1
    return count
