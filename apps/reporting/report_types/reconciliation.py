"""Reconciliation report types, read from apps.reconciliation (below reporting in the layers;
its models are read here, never written): settlement lines with the result of matching them to
the ledger, and the discrepancies finance works on. Both are dated by the acquirer's or the
reconciliation's *day* (a date field): a run covers the local days that start in its interval
(`base.local_days`), so consecutive runs partition the days exactly."""

from __future__ import annotations

from django.db.models import BigIntegerField, Case, CharField, OuterRef, Q, Subquery, Value, When

from apps.reconciliation.models import Discrepancy, LedgerItem, SettlementLine

from .base import Column, Context, itemized, local_days, moment, money, register, text


def merchant_settlement_lines(ctx: Context):
    """The merchant's settlement lines: of its own files, or matched to its ledger items.
    The same rule as apps.reconciliation.selectors._merchant_lines, which is private to that
    app (no public selector takes a merchant id and mode), so the query is written here."""
    matched = LedgerItem.objects.filter(
        merchant_id=ctx.merchant_id, livemode=ctx.livemode, line__isnull=False
    ).values("line_id")
    return SettlementLine.objects.filter(
        Q(merchant_id=ctx.merchant_id) | Q(pk__in=matched), livemode=ctx.livemode
    )


def _filtered(qs, ctx: Context, *, day_field: str):
    first, end = local_days(ctx)
    qs = qs.filter(**{f"{day_field}__gte": first, f"{day_field}__lt": end})
    for name, lookup in (("currency", "currency"), ("connector", "connector_code")):
        if ctx.filters.get(name):
            value = ctx.filters[name]
            qs = qs.filter(**{lookup: value.upper() if name == "currency" else value})
    return qs


def _lines(ctx: Context):
    item = LedgerItem.objects.filter(line=OuterRef("pk")).order_by("id")
    # The line's discrepancy: an open one before resolved ones, then the newest.
    discrepancy = Discrepancy.objects.filter(line=OuterRef("pk")).order_by("status", "-id")
    qs = _filtered(merchant_settlement_lines(ctx), ctx, day_field="settled_on").annotate(
        item_source=Subquery(item.values("source_id")[:1], output_field=CharField()),
        item_status=Subquery(item.values("status")[:1], output_field=CharField()),
        item_match_kind=Subquery(item.values("match_kind")[:1], output_field=CharField()),
        item_amount=Subquery(item.values("amount")[:1], output_field=BigIntegerField()),
        dsc_id=Subquery(discrepancy.values("public_id")[:1], output_field=CharField()),
        dsc_type=Subquery(discrepancy.values("type")[:1], output_field=CharField()),
        dsc_status=Subquery(discrepancy.values("status")[:1], output_field=CharField()),
        dsc_difference=Subquery(discrepancy.values("difference")[:1], output_field=BigIntegerField()),
    )
    return qs.annotate(
        result=Case(
            When(dsc_status=Discrepancy.Status.OPEN, then=Value("discrepancy")),
            When(item_source__isnull=False, then=Value("matched")),
            default=Value("unmatched"),
            output_field=CharField(),
        )
    )


register(
    itemized(
        id="settlement_lines.itemized.1",
        title="Settlement lines with their reconciliation result (settlement-line grain)",
        grain="settlement_line",
        model=SettlementLine,
        queryset_of=_lines,
        time_field="settled_on",
        filters=("currency", "connector"),
        paths={
            "batch": "batch__public_id",
            "file": "file__public_id",
            "connector": "connector_code",
            "payout_reference": "batch__payout_reference",
            "ledger_item": "item_source",
            "ledger_item_status": "item_status",
            "match_kind": "item_match_kind",
            "ledger_amount": "item_amount",
            "discrepancy": "dsc_id",
            "discrepancy_type": "dsc_type",
            "discrepancy_status": "dsc_status",
            "discrepancy_difference": "dsc_difference",
        },
        columns=(
            Column("settled_on", "date", "settled_on"),
            *text("connector", "batch", "file"),
            Column("row_number", "int", "row_number"),
            *text("record_type", "psp_reference", "merchant_reference"),
            *money("gross"),
            *money("fee"),
            *text("currency", "payout_reference"),
            Column("result", "string", "result", description="matched | discrepancy | unmatched"),
            *text("ledger_item", "ledger_item_status", "match_kind"),
            *money("ledger_amount"),
            *text("discrepancy", "discrepancy_type", "discrepancy_status"),
            *money("discrepancy_difference"),
        ),
        description="Lines settled on the local days starting in the interval, each with the "
        "ledger item it matched and its discrepancy (an open one first).",
    )
)


def _discrepancies(ctx: Context):
    qs = Discrepancy.objects.filter(merchant_id=ctx.merchant_id, livemode=ctx.livemode)
    qs = _filtered(qs, ctx, day_field="day")
    for name in ("status", "type"):
        if ctx.filters.get(name):
            qs = qs.filter(**{name: ctx.filters[name]})
    return qs


register(
    itemized(
        id="reconciliation_discrepancies.itemized.1",
        title="Reconciliation discrepancies (discrepancy grain)",
        grain="discrepancy",
        model=Discrepancy,
        queryset_of=_discrepancies,
        time_field="day",
        filters=("currency", "connector", "status", "type"),
        paths={
            "id": "public_id",
            "connector": "connector_code",
            "ledger_item": "item__source_id",
            "ledger_item_kind": "item__kind",
            "psp_reference": "line__psp_reference",
            "batch": "batch__public_id",
        },
        columns=(
            Column("day", "date", "day"),
            Column("id", "string", "id"),
            *moment("created", "created_at"),
            *text("type", "status", "connector", "currency"),
            *money("difference"),
            *text("ledger_item", "ledger_item_kind", "psp_reference", "batch", "resolution"),
            Column("resolved_at", "timestamp", "resolved_at"),
            Column("diffs", "json", "diffs"),
        ),
        description="Discrepancies of the local days starting in the interval, open or resolved.",
    )
)
