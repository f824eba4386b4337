"""settlement.daily.1: the daily settlement report (apps.reporting.settlement) as rows, one per
local day, acquirer and currency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from .base import Column, Context, ReportType, money, register

_SETTLEMENT_FIELDS = (
    "date",
    "connector",
    "currency",
    "gross_captures",
    "refunds",
    "chargebacks",
    "chargeback_reversals",
    "adjustments",
    "fees",
    "net",
)


def _settlement_rows(ctx: Context) -> Iterator[tuple]:
    from apps.merchants.models import Merchant

    from ..settlement import settlement_report

    merchant = Merchant.objects.get(pk=ctx.merchant_id)
    day = ctx.start.astimezone(ctx.tz).date()
    while True:
        report = settlement_report(merchant=merchant, livemode=ctx.livemode, day=day, tz=ctx.tz)
        if report.start >= ctx.end:
            return
        for line in report.lines:
            if ctx.filters.get("currency") and line.currency != ctx.filters["currency"].upper():
                continue
            figures = line.figures()
            yield (day, line.connector, line.currency, *(figures[f] for f in _SETTLEMENT_FIELDS[3:]))
        day += timedelta(days=1)


register(
    ReportType(
        id="settlement.daily.1",
        title="Daily settlement by acquirer and currency (days of the run's timezone)",
        grain="summary",
        fields=_SETTLEMENT_FIELDS,
        columns=(
            Column("date", "date", "date"),
            Column("connector", "string", "connector"),
            Column("currency", "string", "currency"),
            *(c for name in _SETTLEMENT_FIELDS[3:] for c in money(name)),
        ),
        source=_settlement_rows,
        count=lambda ctx: sum(1 for _ in _settlement_rows(ctx)),
        description="Whole local days starting in the interval; use day-aligned intervals.",
    )
)
