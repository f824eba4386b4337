"""Report types (Stripe's `report_types`): versioned ids such as `balance.summary.1`, each with
its columns, its data source and the interval field it filters on.

A type is a registry entry: apps above reporting (reconciliation) register theirs from their
`AppConfig.ready()` with `register(ReportType(...))`; the built-in ones are below. A type's
source yields tuples in the order of its `fields`; columns name those fields and convert them
(amounts stay integers in minor units and gain a `<name>_decimal` string column). Rows come in a
stable order (interval field, then id), so the same parameters over closed data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum

from apps.core.currencies import CURRENCIES
from apps.disputes.models import Dispute
from apps.intents.models import Charge, PaymentIntent
from apps.ledger.models import BalanceTransaction
from apps.payouts.models import Payout
from apps.refunds.models import Refund

from .metrics import json_text

CHUNK = 5000


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # string | int | amount | decimal | timestamp | local_time | bool | date | json
    source: str  # the field it is computed from
    currency: str = "currency"  # decimal: the field holding the currency
    description: str = ""


@dataclass
class Context:
    merchant_id: int
    livemode: bool
    start: datetime
    end: datetime
    tz: ZoneInfo
    filters: dict


@dataclass(frozen=True)
class ReportType:
    id: str
    title: str
    grain: str
    fields: tuple[str, ...]
    columns: tuple[Column, ...]
    source: Callable[[Context], Iterator[tuple]]
    count: Callable[[Context], int]
    default_columns: tuple[str, ...] | None = None
    filters: tuple[str, ...] = ("currency",)
    description: str = ""
    # Types read from one queryset also export in SQL (apps.reporting.sql_export): the queryset
    # of a context, the ORM path of each source field, and the row order.
    queryset_of: Callable[[Context], object] | None = None
    paths: dict = field(default_factory=dict)
    order: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        return int(self.id.rsplit(".", 1)[1])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_REGISTRY: dict[str, ReportType] = {}


def register(report_type: ReportType) -> None:
    _REGISTRY[report_type.id] = report_type


def report_type_get(type_id: str) -> ReportType | None:
    return _REGISTRY.get(type_id)


def report_types() -> list[ReportType]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


# --- column helpers -------------------------------------------------------------------------


def money(name: str, source: str | None = None, currency: str = "currency") -> tuple[Column, Column]:
    """An amount as int64 minor units plus its decimal string (`12.34`, `1200`, `1.250`)."""
    source = source or name
    return (
        Column(name, "amount", source, description="Minor units (integer)."),
        Column(f"{name}_decimal", "decimal", source, currency=currency, description="Major units, exact."),
    )


def moment(name: str, source: str | None = None) -> tuple[Column, Column]:
    """A time as unix seconds (UTC) plus ISO 8601 in the run's time zone."""
    source = source or name
    return (
        Column(name, "timestamp", source, description="Unix seconds."),
        Column(f"{name}_local", "local_time", source, description="ISO 8601 in the run's timezone."),
    )


def _values_source(queryset_of: Callable[[Context], object], fields: tuple[str, ...], order: tuple[str, ...]):
    def source(ctx: Context) -> Iterator[tuple]:
        qs = queryset_of(ctx).order_by(*order)
        annotations = {f"f{i}": _expr(path) for i, path in enumerate(fields)}
        return qs.annotate(**annotations).values_list(*annotations).iterator(chunk_size=CHUNK)

    return source


def _expr(path: str):
    if "->" in path:
        field_path, *keys = path.split("->")
        return json_text(field_path, *keys)
    return F(path)


def _count(queryset_of):
    return lambda ctx: queryset_of(ctx).order_by().count()


def _scoped(model, *, time_field: str = "created_at", extra: Callable[[Context], Q] | None = None):
    def queryset_of(ctx: Context):
        qs = model.objects.filter(
            merchant_id=ctx.merchant_id,
            livemode=ctx.livemode,
            **{f"{time_field}__gte": ctx.start, f"{time_field}__lt": ctx.end},
        )
        if ctx.filters.get("currency"):
            qs = qs.filter(currency=ctx.filters["currency"].upper())
        if extra is not None:
            qs = qs.filter(extra(ctx))
        return qs

    return queryset_of


def itemized(
    *,
    id: str,
    title: str,
    grain: str,
    model,
    columns: tuple[Column, ...],
    paths: dict[str, str],
    time_field: str = "created_at",
    extra: Callable[[Context], Q] | None = None,
    filters: tuple[str, ...] = ("currency",),
    description: str = "",
) -> ReportType:
    """A row per object of `model` whose `time_field` is in the interval. `paths` maps each
    source field a column names to its ORM path (`a__b`, JSON keys as `a->b`)."""
    fields = tuple(dict.fromkeys(c.source for c in columns)) + tuple(
        dict.fromkeys(c.currency for c in columns if c.kind == "decimal")
    )
    fields = tuple(dict.fromkeys(fields))
    queryset_of = _scoped(model, time_field=time_field, extra=extra)
    return ReportType(
        id=id,
        title=title,
        grain=grain,
        fields=fields,
        columns=columns,
        source=_values_source(queryset_of, tuple(paths.get(f, f) for f in fields), (time_field, "id")),
        count=_count(queryset_of),
        filters=filters,
        description=description,
        queryset_of=queryset_of,
        paths=paths,
        order=(time_field, "id"),
    )


def exponent_of(currency: str) -> int:
    cur = CURRENCIES.get((currency or "").upper())
    return cur.exponent if cur else 2


# --- built-in types -------------------------------------------------------------------------

register(
    itemized(
        id="payments.itemized.1",
        title="Payments (payment grain: one row per PaymentIntent)",
        grain="payment",
        model=PaymentIntent,
        paths={
            "id": "public_id",
            "customer": "customer__public_id",
            "latest_charge": "latest_charge__public_id",
            "connector": "latest_charge__connector__code",
            "payment_method_type": "latest_charge__payment_method_type",
            "card_brand": "latest_charge__payment_method_details->card->brand",
        },
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            *money("amount"),
            *money("amount_received"),
            *money("amount_refunded"),
            Column("currency", "string", "currency"),
            Column("capture_method", "string", "capture_method"),
            Column("customer", "string", "customer"),
            Column("latest_charge", "string", "latest_charge"),
            Column("connector", "string", "connector"),
            Column("payment_method_type", "string", "payment_method_type"),
            Column("card_brand", "string", "card_brand"),
            Column("order_id", "string", "order_id"),
            Column("description", "string", "description"),
        ),
    )
)

register(
    itemized(
        id="payment_attempts.itemized.1",
        title="Payment attempts (attempt grain: one row per Charge)",
        grain="attempt",
        model=Charge,
        paths={
            "id": "public_id",
            "payment_intent": "payment_intent__public_id",
            "connector": "connector__code",
            "card_brand": "payment_method_details->card->brand",
            "three_ds": "three_ds->result",
        },
        columns=(
            Column("id", "string", "id"),
            Column("payment_intent", "string", "payment_intent"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            *money("amount"),
            *money("amount_captured"),
            *money("amount_refunded"),
            Column("currency", "string", "currency"),
            Column("connector", "string", "connector"),
            Column("payment_method_type", "string", "payment_method_type"),
            Column("card_brand", "string", "card_brand"),
            Column("decline_code", "string", "decline_code"),
            Column("failure_code", "string", "failure_code"),
            Column("network_code", "string", "network_code"),
            Column("three_ds", "string", "three_ds"),
            Column("authorized_at", "timestamp", "authorized_at"),
            Column("captured_at", "timestamp", "captured_at"),
        ),
    )
)

register(
    itemized(
        id="refunds.itemized.1",
        title="Refunds",
        grain="refund",
        model=Refund,
        paths={
            "id": "public_id",
            "payment_intent": "payment_intent__public_id",
            "charge": "charge__public_id",
        },
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            *money("amount"),
            Column("currency", "string", "currency"),
            Column("payment_intent", "string", "payment_intent"),
            Column("charge", "string", "charge"),
            Column("reason", "string", "reason"),
            Column("failure_reason", "string", "failure_reason"),
            Column("succeeded_at", "timestamp", "succeeded_at"),
        ),
    )
)

register(
    itemized(
        id="disputes.itemized.1",
        title="Disputes and chargebacks",
        grain="dispute",
        model=Dispute,
        paths={
            "id": "public_id",
            "payment_intent": "payment_intent__public_id",
            "charge": "charge__public_id",
            "connector": "connector__code",
        },
        columns=(
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            Column("status", "string", "status"),
            Column("case_type", "string", "case_type"),
            Column("reason", "string", "reason"),
            Column("network_reason_code", "string", "network_reason_code"),
            *money("amount"),
            Column("currency", "string", "currency"),
            Column("payment_intent", "string", "payment_intent"),
            Column("charge", "string", "charge"),
            Column("connector", "string", "connector"),
        ),
    )
)

_BALANCE_COLUMNS = (
    Column("id", "string", "id"),
    *moment("created", "created_at"),
    *moment("available_on"),
    Column("type", "string", "type"),
    Column("status", "string", "status"),
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
            Column("currency", "string", "currency"),
            Column("method", "string", "method"),
            Column("automatic", "bool", "automatic"),
            Column("destination", "string", "destination"),
            Column("balance_transaction", "string", "balance_transaction_id"),
            Column("bank_reference", "string", "bank_reference"),
            Column("failure_code", "string", "failure_code"),
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
                    f"f{i}": _expr("public_id" if f == "id" else f)
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
            Column("currency", "string", "currency"),
            Column("category", "string", "category"),
            Column("description", "string", "description"),
            *money("net_amount"),
            Column("count", "int", "count"),
        ),
        source=lambda ctx: iter(_summary_rows(ctx)),
        count=lambda ctx: len(_summary_rows(ctx)),
    )
)


# --- settlement.daily.1 ---------------------------------------------------------------------

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
    from datetime import timedelta

    from apps.merchants.models import Merchant

    from .settlement import settlement_report

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
