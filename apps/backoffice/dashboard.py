"""unfold DASHBOARD_CALLBACK: the figures of apps.reporting.selectors turned into chart data."""

import json
from datetime import timedelta

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.connectors.selectors import connector_circuit_summary
from apps.disputes.selectors import disputes_awaiting_response
from apps.merchants.selectors import merchant_choices
from apps.reporting.selectors import PERIODS, dashboard_figures

from .money import money

PALETTE = ["var(--color-primary-600)", "var(--color-primary-300)", "#f59e0b", "#ef4444", "#10b981", "#6366f1"]


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return ""


def dashboard_callback(request, context):
    period = request.GET.get("period", "today")
    merchant_param = request.GET.get("merchant", "")
    merchants = merchant_choices()
    merchant_id = next((pk for pk, public_id, _ in merchants if public_id == merchant_param), None)
    figures = dashboard_figures(period=period, merchant_id=merchant_id)

    volume = figures.volume_by_currency
    volume_chart = json.dumps(
        {
            "labels": [row["currency"] for row in volume],
            "datasets": [
                {
                    "label": "Payments",
                    "data": [row["count"] for row in volume],
                    "backgroundColor": PALETTE[0],
                },
            ],
        }
    )
    declines_chart = json.dumps(
        {
            "labels": [row["reason"] for row in figures.declines],
            "datasets": [
                {
                    "label": "Declines",
                    "data": [row["count"] for row in figures.declines],
                    "backgroundColor": PALETTE[3],
                }
            ],
        }
    )
    awaiting = disputes_awaiting_response()
    if merchant_id is not None:
        awaiting = awaiting.filter(merchant_id=merchant_id)
    kpis = [
        {
            "title": "Succeeded volume",
            "value": ", ".join(money(r["amount"], r["currency"]) for r in volume[:3]) or "0",
            "footer": f"{sum(r['count'] for r in volume)} payments",
        },
        {
            "title": "Authorization rate",
            "value": "—" if figures.authorization_rate is None else f"{figures.authorization_rate}%",
            "footer": f"{figures.authorized} of {figures.attempts} attempts",
        },
        {
            "title": "Refunds",
            "value": ", ".join(money(r["amount"], r["currency"]) for r in figures.refunds_by_currency[:3])
            or "0",
            "footer": f"{figures.refunds_awaiting_approval} awaiting approval",
            "href": _url("admin:approvals_approvalrequest_changelist", "?status__exact=pending"),
        },
        _circuits_kpi(merchant_id),
        {
            "title": "Disputes awaiting a response",
            "value": str(awaiting.count()),
            "footer": f"{awaiting.filter(due_by__lte=timezone.now() + timedelta(hours=24)).count()} due within 24 h",
            "href": _url("admin:disputes_dispute_changelist"),
        },
        {
            "title": "Webhook failure rate",
            "value": "—" if figures.webhook_failure_rate is None else f"{figures.webhook_failure_rate}%",
            "footer": f"{figures.deliveries_failed} failed of {figures.deliveries} finished deliveries",
        },
    ]
    context.update(
        {
            "periods": PERIODS,
            "period": figures.period,
            "merchants": merchants,
            "merchant_param": merchant_param if merchant_id else "",
            "figures": figures,
            "kpis": kpis,
            "volume_rows": [{**r, "formatted": money(r["amount"], r["currency"])} for r in volume],
            "payout_rows": [{**r, "formatted": money(r["amount"], r["currency"])} for r in figures.payouts],
            "volume_chart": volume_chart,
            "declines_chart": declines_chart,
            "search_url": _url("admin:global_search"),
        }
    )
    return context


def _circuits_kpi(merchant_id) -> dict:
    summary = connector_circuit_summary(merchant_id=merchant_id)
    opened = summary["open"] + summary["half_open"]
    return {
        "title": "Connector circuits",
        "value": f"{len(opened)} open" if opened else "all closed",
        "footer": ", ".join(opened[:3]) or f"{summary['active']} active connectors routing",
        "href": _url("admin:connectors_connector_changelist", "?status__exact=active"),
    }
