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
    refunds = {r["currency"]: r for r in figures.refunds_by_currency}
    payments_url = _url("admin:intents_paymentintent_changelist")
    # One card per currency: amounts of different currencies never share an axis or a sum.
    currency_cards = [
        {
            "currency": row["currency"].upper(),
            "volume": money(row["amount"], row["currency"]),
            "count": row["count"],
            "refunded": money(refunds.get(row["currency"], {}).get("amount", 0), row["currency"]),
            "refund_count": refunds.get(row["currency"], {}).get("count", 0),
            "href": f"{payments_url}?status__exact=succeeded&currency={row['currency'].upper()}"
            if payments_url
            else "",
        }
        for row in volume
    ]
    # Counts are comparable across currencies, so they share one chart (two series).
    currencies = sorted({r["currency"] for r in volume} | set(refunds))
    counts_by_currency = {r["currency"]: r["count"] for r in volume}
    counts_chart = json.dumps(
        {
            "labels": [c.upper() for c in currencies],
            "datasets": [
                {"label": "Succeeded payments", "data": [counts_by_currency.get(c, 0) for c in currencies],
                 "backgroundColor": PALETTE[0], "maxBarThickness": 48},
                {"label": "Refunds", "data": [refunds.get(c, {}).get("count", 0) for c in currencies],
                 "backgroundColor": PALETTE[2], "maxBarThickness": 48},
            ],
        }
    )  # fmt: skip
    declines_chart = json.dumps(
        {
            "labels": [row["reason"].replace("_", " ") for row in figures.declines],
            "datasets": [
                {
                    "label": "Declines",
                    "data": [row["count"] for row in figures.declines],
                    "backgroundColor": PALETTE[3],
                    "maxBarThickness": 48,
                }
            ],
        }
    )
    rate_chart, disputes_chart = daily_charts(figures.daily)
    awaiting = disputes_awaiting_response()
    if merchant_id is not None:
        awaiting = awaiting.filter(merchant_id=merchant_id)
    volume_chart = counts_chart
    kpis = [
        {
            "title": "Authorization rate",
            "value": "—" if figures.authorization_rate is None else f"{figures.authorization_rate}%",
            "progress": figures.authorization_rate or 0,
            "footer": f"{figures.authorized} of {figures.attempts} attempts",
            "href": _url("admin:intents_charge_changelist"),
        },
        {
            "title": "Succeeded payments",
            "value": str(sum(r["count"] for r in volume)),
            "footer": f"in {len(volume)} currenc{'y' if len(volume) == 1 else 'ies'}, volume per currency below",
            "href": f"{payments_url}?status__exact=succeeded" if payments_url else "",
        },
        {
            "title": "Waiting for approval",
            "value": str(figures.approvals_pending),
            "footer": f"{figures.refunds_awaiting_approval} of them refunds",
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
            "progress": figures.webhook_failure_rate or 0,
            "footer": f"{figures.deliveries_failed} failed of {figures.deliveries} finished deliveries",
            "href": _url("admin:webhooks_delivery_changelist"),
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
            "currency_cards": currency_cards,
            "payouts_url": _url("admin:payouts_payout_changelist"),
            "refunds_url": _url("admin:refunds_refund_changelist"),
            "declines_chart": declines_chart,
            "rate_chart": rate_chart,
            "rate_options": RATE_OPTIONS,
            "count_options": COUNT_OPTIONS,
            "disputes_chart": disputes_chart,
            "disputes_url": _url("admin:disputes_dispute_changelist"),
            "charges_url": _url("admin:intents_charge_changelist"),
            "search_url": _url("admin:global_search"),
        }
    )
    return context


def _line(label: str, data: list, color: str) -> dict:
    # unfold's line defaults hide the points (pointStyle false): a day between two gaps would not
    # show at all, so each series draws its points.
    return {"label": label, "data": data, "borderColor": color, "backgroundColor": color,
            "pointStyle": "circle", "pointRadius": 3, "spanGaps": False}  # fmt: skip


def _line_options(y: dict, y_ticks: dict) -> str:
    """Chart.js options for a per-day line: unfold's look (its app.js DEFAULT_CHART_OPTIONS, which
    `options` replaces rather than merges, so the grids its dark-mode switch recolours are kept),
    a y axis from 0 and a legend (two series must be told apart)."""
    axis = {"border": {"dash": [5, 5], "width": 0}, "grid": {"display": True, "tickWidth": 0},
            "ticks": {"color": "#9ca3af"}}  # fmt: skip
    return json.dumps(
        {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "plugins": {
                "legend": {
                    "display": True,
                    "align": "end",
                    "position": "top",
                    "labels": {"boxHeight": 5, "boxWidth": 5, "color": "#9ca3af", "usePointStyle": True},
                },
                "tooltip": {"enabled": True},
            },
            "scales": {"x": axis, "y": {**axis, **y, "ticks": {**axis["ticks"], **y_ticks}}},
        }
    )


RATE_OPTIONS = _line_options({"min": 0, "max": 100}, {"stepSize": 25})
COUNT_OPTIONS = _line_options({"min": 0}, {"precision": 0})


def daily_charts(daily: list[dict]) -> tuple[str, str]:
    """unfold line-chart data for the authorization rate per day (null on a day without attempts:
    a gap, never 0 %) and disputes opened vs due per day (0 on a day without any)."""
    labels = [row["day"].isoformat() for row in daily]
    rate = {"labels": labels, "datasets": [_line("Authorization rate (%)", [row["authorization_rate"] for row in daily], PALETTE[0])]}  # fmt: skip
    disputes = {
        "labels": labels,
        "datasets": [
            _line("Disputes opened", [row["disputes_opened"] for row in daily], PALETTE[3]),
            _line("Disputes due", [row["disputes_due"] for row in daily], PALETTE[2]),
        ],
    }
    return json.dumps(rate), json.dumps(disputes)


def _circuits_kpi(merchant_id) -> dict:
    summary = connector_circuit_summary(merchant_id=merchant_id)
    opened = summary["open"] + summary["half_open"]
    return {
        "title": "Connector circuits",
        "value": f"{len(opened)} open" if opened else "all closed",
        "footer": ", ".join(opened[:3]) or f"{summary['active']} active connectors routing",
        "href": _url("admin:connectors_connector_changelist", "?status__exact=active"),
    }
