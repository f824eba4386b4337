"""Exchange rates: recorded by hand (audited), from a CSV or from the configured provider."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from apps.audit.services import Actor, audit_record
from apps.core.currencies import get_currency
from apps.core.errors import InvalidRequestError
from apps.core.limits import datetime_in_window

from ..errors import ParameterInvalid
from ..models import ExchangeRate


def exchange_rate_record(*, base: str, quote: str, rate, as_of: datetime, source: str) -> ExchangeRate:
    base, quote = base.strip().upper(), quote.strip().upper()
    get_currency(base)
    get_currency(quote)
    if base == quote:
        raise ParameterInvalid("base and quote must differ.", param="quote")
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        raise ParameterInvalid(f"Invalid rate {rate!r}.", param="rate") from None
    if not value.is_finite() or value <= 0:
        raise ParameterInvalid("rate must be a positive number.", param="rate")
    # The column holds 12 digits on each side of the point: larger (or vanishing) rates would
    # overflow or round to zero there.
    if value >= 10**12 or value.quantize(Decimal("1e-12")) <= 0:
        raise ParameterInvalid("rate must be from 0.000000000001 to 999999999999.", param="rate")
    row, _ = ExchangeRate.objects.update_or_create(
        base=base, quote=quote, as_of=as_of, defaults={"rate": value, "source": source}
    )
    return row


def exchange_rate_save(*, exchange_rate: ExchangeRate, actor: Actor) -> ExchangeRate:
    """A rate entered or corrected by staff: saved as a manual rate, audited."""
    exchange_rate.base, exchange_rate.quote = exchange_rate.base.upper(), exchange_rate.quote.upper()
    exchange_rate.source = ExchangeRate.Source.MANUAL
    with transaction.atomic():
        exchange_rate.save()
        audit_record(
            actor=actor,
            action="exchange_rate.saved",
            obj=exchange_rate,
            object_id=str(exchange_rate.pk),
            after={
                "base": exchange_rate.base,
                "quote": exchange_rate.quote,
                "rate": str(exchange_rate.rate),
                "as_of": exchange_rate.as_of,
            },
        )
    return exchange_rate


def exchange_rates_import_csv(text: str, *, source: str = ExchangeRate.Source.CSV) -> int:
    """CSV with a header `base,quote,rate,as_of` (as_of ISO 8601; empty = now). All or nothing."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"base", "quote", "rate"} - set(reader.fieldnames or [])
    if missing:
        raise ParameterInvalid(
            f"CSV header must contain base,quote,rate[,as_of]; missing {sorted(missing)}.", param="file"
        )
    count = 0
    with transaction.atomic():
        for line, row in enumerate(reader, start=2):
            raw_as_of = (row.get("as_of") or "").strip()
            try:
                as_of = parse_datetime(raw_as_of) if raw_as_of else timezone.now()
            except ValueError:  # well-formed but impossible, e.g. 2026-02-30
                as_of = None
            as_of = as_of and datetime_in_window(as_of)
            if as_of is None:
                raise ParameterInvalid(f"Line {line}: invalid as_of {raw_as_of!r}.", param="as_of")
            try:
                exchange_rate_record(
                    base=row["base"], quote=row["quote"], rate=row["rate"], as_of=as_of, source=source
                )
            except InvalidRequestError as exc:
                # The line number goes in front of whatever the row's error said, code and param kept.
                raise InvalidRequestError(
                    f"Line {line}: {exc.message}", code=exc.code, param=exc.param
                ) from None
            count += 1
    return count


def exchange_rates_refresh() -> int:
    """Records the configured provider's current rates (`LEDGER_FX_PROVIDER`; "" disables)."""
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
