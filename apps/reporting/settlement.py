"""The daily settlement report (reads): per acquirer (connector) and currency, the day's gross
captures, refunds, chargebacks and their reversals, fees and adjustments, and their net; per
currency, the payout bridge — opening balance + activity + payouts = closing balance — with
the day's bank credits (payouts paid) and any residual that reconciliation links to its open
discrepancies (through `registry.settlement_residual_providers`: apps.reconciliation.selectors.settlement_residuals).

All figures come from the ledger's balance transactions (the merchant's money as booked), in
the day [local midnight, next local midnight) of the requested time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.disputes.models import Dispute
from apps.intents.models import Charge
from apps.ledger.models import BalanceTransaction
from apps.payouts.models import Payout
from apps.refunds.models import Refund

from . import registry

T = BalanceTransaction.Type
CATEGORY_OF = {
    T.CHARGE: "gross_captures",
    T.PAYMENT: "gross_captures",
    T.REFUND: "refunds",
    T.DISPUTE: "chargebacks",
    T.DISPUTE_REVERSAL: "chargeback_reversals",
    T.ADJUSTMENT: "adjustments",
}
PAYOUT_TYPES = (T.PAYOUT, T.PAYOUT_FAILURE, T.PAYOUT_CANCEL)
CATEGORIES = ("gross_captures", "refunds", "chargebacks", "chargeback_reversals", "adjustments")


@dataclass
class AcquirerLine:
    connector: str
    currency: str
    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    fees: int = 0
    net: int = 0

    def figures(self) -> dict:
        return {**self.amounts, "fees": self.fees, "net": self.net, "counts": dict(self.counts)}


@dataclass
class Bridge:
    currency: str
    opening_balance: int = 0
    activity_net: int = 0
    payouts: int = 0
    closing_balance: int = 0
    bank_credits: list[dict] = field(default_factory=list)
    residuals: list[dict] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.opening_balance + self.activity_net + self.payouts == self.closing_balance


@dataclass
class SettlementReport:
    day: date
    start: datetime
    end: datetime
    lines: list[AcquirerLine]
    bridges: list[Bridge]


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


def _connector_of_source():
    """The acquirer of a balance transaction, from its source (charge, refund or dispute)."""
    by_charge = Charge.objects.filter(public_id=OuterRef("source_id")).values("connector__code")[:1]
    by_refund = Refund.objects.filter(public_id=OuterRef("source_id")).values("charge__connector__code")[:1]
    by_dispute = Dispute.objects.filter(public_id=OuterRef("source_id")).values("connector__code")[:1]
    return Coalesce(Subquery(by_charge), Subquery(by_refund), Subquery(by_dispute))


def settlement_report(*, merchant, livemode: bool, day: date, tz: ZoneInfo) -> SettlementReport:
    start, end = day_bounds(day, tz)
    base = BalanceTransaction.objects.filter(merchant=merchant, livemode=livemode)
    rows = (
        base.filter(created_at__gte=start, created_at__lt=end)
        .exclude(type__in=PAYOUT_TYPES)
        .order_by()
        .annotate(acquirer=_connector_of_source())
        .values("acquirer", "currency", "type")
        .annotate(amount=Sum("amount"), fee=Sum("fee"), net=Sum("net"), n=Count("id"))
    )
    lines: dict[tuple[str, str], AcquirerLine] = {}
    for row in rows:
        line = lines.setdefault(
            (row["acquirer"] or "", row["currency"]), AcquirerLine(row["acquirer"] or "", row["currency"])
        )
        category = CATEGORY_OF.get(row["type"], "adjustments")
        line.amounts[category] += row["amount"] or 0
        line.counts[category] += row["n"]
        line.fees += row["fee"] or 0
        line.net += row["net"] or 0

    def by_currency(qs) -> dict[str, int]:
        return {
            r["currency"]: r["net"] or 0 for r in qs.order_by().values("currency").annotate(net=Sum("net"))
        }

    opening = by_currency(base.filter(created_at__lt=start))
    closing = by_currency(base.filter(created_at__lt=end))
    payouts = by_currency(base.filter(created_at__gte=start, created_at__lt=end, type__in=PAYOUT_TYPES))
    credits: dict[str, list[dict]] = {}
    for payout in Payout.objects.filter(
        merchant=merchant, livemode=livemode, paid_at__gte=start, paid_at__lt=end
    ).order_by("paid_at", "id"):
        credits.setdefault(payout.currency, []).append(
            {"payout": payout.public_id, "amount": payout.amount, "bank_reference": payout.bank_reference}
        )
    currencies = sorted(set(opening) | set(closing) | {c for _, c in lines})
    bridges = []
    for currency in currencies:
        activity = sum(line.net for (_, c), line in lines.items() if c == currency)
        bridge = Bridge(
            currency=currency,
            opening_balance=opening.get(currency, 0),
            activity_net=activity,
            payouts=payouts.get(currency, 0),
            closing_balance=closing.get(currency, 0),
            bank_credits=credits.get(currency, []),
        )
        for provider in registry.settlement_residual_providers():
            bridge.residuals += provider(merchant=merchant, livemode=livemode, day=day, currency=currency)
        bridges.append(bridge)
    ordered = [lines[k] for k in sorted(lines)]
    return SettlementReport(day=day, start=start, end=end, lines=ordered, bridges=bridges)


def settlement_report_payload(report: SettlementReport, *, tz_name: str) -> dict:
    return {
        "object": "reporting.settlement_report",
        "date": report.day.isoformat(),
        "timezone": tz_name,
        "interval_start": int(report.start.timestamp()),
        "interval_end": int(report.end.timestamp()),
        "acquirers": [
            {"connector": line.connector or None, "currency": line.currency.lower(), **line.figures()}
            for line in report.lines
        ],
        "payout_bridge": [
            {
                "currency": b.currency.lower(),
                "opening_balance": b.opening_balance,
                "activity": b.activity_net,
                "payouts": b.payouts,
                "closing_balance": b.closing_balance,
                "balanced": b.balanced,
                "bank_credits": b.bank_credits,
                "residuals": b.residuals,
            }
            for b in report.bridges
        ],
        "reserve": None,
    }
