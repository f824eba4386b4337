"""Balance-side report types: balance transactions, fees, payouts, payouts with their itemized
balance transactions, and the balance summary (starting balance + activity = ending balance)."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from apps.ledger.models import BalanceTransaction
from apps.payouts.models import Payout

from .base import CHUNK, Column, Context, ReportType, field_expr, itemized, moment, money, register, text

_BALANCE_COLUMNS = (
    Column("id", "string", "id"),
    *moment("created", "created_at"),
    *moment("available_on"),
    *text("type", "status"),
    *money("amount"),
    *money("fee"),
    *money("net"),
    Column("currency", "string", "currency"),
    Column("source", "string", "source_id"),
    Column("payout", "string", "payout_id"),
    Column("description", "string", "description"),
)

register(
    itemized(
        id="balance_transactions.itemized.1",
        title="Balance transactions (every change of the balance)",
        grain="balance_transaction",
        model=BalanceTransaction,
        paths={"id": "public_id"},
        columns=_BALANCE_COLUMNS,
        filters=("currency", "type"),
        extra=lambda ctx: Q(type=ctx.filters["type"]) if ctx.filters.get("type") else Q(),
    )
)

register(
    itemized(
        id="fees.itemized.1",
        title="Fees (balance transactions that carry a fee)",
        grain="balance_transaction",
        model=BalanceTransaction,
        paths={"id": "public_id"},
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("type", "string", "type"),
            Column("source", "string", "source_id"),
            *money("amount"),
            *money("fee"),
            Column("currency", "string", "currency"),
            Column("fee_details", "json", "fee_details"),
        ),
        extra=lambda ctx: ~Q(fee=0),
    )
)

register(
    itemized(
        id="payouts.itemized.1",
        title="Payouts",
        grain="payout",
        model=Payout,
        paths={"id": "public_id", "destination": "destination__public_id"},
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("arrival_date", "date", "arrival_date"),
            Column("status", "string", "status"),
            *money("amount"),
            *text("currency", "method"),
            Column("automatic", "bool", "automatic"),
            Column("destination", "string", "destination"),
            Column("balance_transaction", "string", "balance_transaction_id"),
            *text("bank_reference", "failure_code"),
        ),
    )
)


def _payout_ids(ctx: Context):
    payouts = Payout.objects.filter(
        merchant_id=ctx.merchant_id, livemode=ctx.livemode, created_at__gte=ctx.start, created_at__lt=ctx.end
    )
    if ctx.filters.get("payout"):
        payouts = payouts.filter(public_id=ctx.filters["payout"])
    return Q(payout_id__in=payouts.values("public_id"))


def _payout_balance_queryset(ctx: Context):
    qs = BalanceTransaction.objects.filter(merchant_id=ctx.merchant_id, livemode=ctx.livemode).filter(
        _payout_ids(ctx)
    )
    if ctx.filters.get("currency"):
        qs = qs.filter(currency=ctx.filters["currency"].upper())
    return qs


_PAYOUT_BALANCE_FIELDS = tuple(
    dict.fromkeys(
        [c.source for c in _BALANCE_COLUMNS] + ["currency"],
    )
)

register(
    ReportType(
        id="payout_reconciliation.itemized.1",
        title="Payouts with their itemized balance transactions",
        grain="balance_transaction",
        fields=_PAYOUT_BALANCE_FIELDS,
        columns=_BALANCE_COLUMNS,
        source=lambda ctx: (
            _payout_balance_queryset(ctx)
            .order_by("payout_id", "created_at", "id")
            .annotate(
                **{
                    f"f{i}": field_expr("public_id" if f == "id" else f)
                    for i, f in enumerate(_PAYOUT_BALANCE_FIELDS)
                }
            )
            .values_list(*[f"f{i}" for i in range(len(_PAYOUT_BALANCE_FIELDS))])
            .iterator(chunk_size=CHUNK)
        ),
        count=lambda ctx: _payout_balance_queryset(ctx).order_by().count(),
        queryset_of=_payout_balance_queryset,
        paths={"id": "public_id"},
        order=("payout_id", "created_at", "id"),
        filters=("currency", "payout"),
        description="Balance transactions of the payouts created in the interval, grouped by payout.",
    )
)


# --- balance.summary.1 ----------------------------------------------------------------------

_SUMMARY_FIELDS = ("currency", "category", "description", "net_amount", "count")


def _summary_rows(ctx: Context) -> list[tuple]:
    base = BalanceTransaction.objects.filter(merchant_id=ctx.merchant_id, livemode=ctx.livemode)
    if ctx.filters.get("currency"):
        base = base.filter(currency=ctx.filters["currency"].upper())
    opening = {
        r["currency"]: r["net"]
        for r in base.filter(created_at__lt=ctx.start).order_by().values("currency").annotate(net=Sum("net"))
    }
    activity = list(
        base.filter(created_at__gte=ctx.start, created_at__lt=ctx.end)
        .order_by()
        .values("currency", "type")
        .annotate(net=Sum("net"), n=Count("id"))
    )
    rows: list[tuple] = []
    for currency in sorted(set(opening) | {r["currency"] for r in activity}):
        start_balance = opening.get(currency, 0) or 0
        rows.append((currency, "starting_balance", "Balance at interval_start", start_balance, None))
        moved = 0
        for r in sorted((r for r in activity if r["currency"] == currency), key=lambda r: r["type"]):
            moved += r["net"] or 0
            rows.append((currency, r["type"], f"Net of {r['type']} activity", r["net"] or 0, r["n"]))
        rows.append((currency, "ending_balance", "Balance at interval_end", start_balance + moved, None))
    return rows


register(
    ReportType(
        id="balance.summary.1",
        title="Balance summary (starting balance + activity by category = ending balance)",
        grain="summary",
        fields=_SUMMARY_FIELDS,
        columns=(
            *text("currency", "category", "description"),
            *money("net_amount"),
            Column("count", "int", "count"),
        ),
        source=lambda ctx: iter(_summary_rows(ctx)),
        count=lambda ctx: len(_summary_rows(ctx)),
    )
)
