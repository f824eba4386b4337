"""Dashboard aggregates (each app's selectors) and their daily roll-ups."""

import pytest
from django.db import models

from apps.intents.models import Charge, PaymentIntent
from apps.reporting.selectors import dashboard_figures

pytestmark = pytest.mark.django_db


def test_dashboard_figures(payments, merchant, other_merchant):
    figures = dashboard_figures(period="today")
    volume = {row["currency"]: (row["amount"], row["count"]) for row in figures.volume_by_currency}
    assert volume == {"USD": (2500, 1), "EUR": (1234, 1)}
    assert (figures.attempts, figures.authorized) == (3, 2)
    assert figures.authorization_rate == pytest.approx(66.7)
    assert figures.declines == [{"reason": "insufficient_funds", "count": 1}]
    assert figures.refunds_by_currency == [{"currency": "USD", "amount": 500, "count": 1}]
    assert dashboard_figures(period="30d", merchant_id=other_merchant.pk).volume_by_currency == []
    # One aggregate row per metric, not one per payment.
    from apps.reporting.selectors import aggregate_metrics, period_start

    rows = aggregate_metrics(period_start("today"))
    assert sum(1 for r in rows if r["metric"] == "charge_attempts") == 1


def test_past_days_come_from_rollups_and_match_the_live_figures(payments, merchant):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from apps.refunds.models import Refund
    from apps.webhooks.models import Delivery

    two_days_ago = timezone.now() - timedelta(days=2)
    for model in (PaymentIntent, Charge, Refund, Delivery):
        model.objects.update(created_at=two_days_ago)
    live = dashboard_figures(period="7d")
    assert not live.from_rollups
    assert dashboard_figures(period="today").volume_by_currency == []
    call_command("reporting_rollup", days=8)
    rolled = dashboard_figures(period="7d")
    assert rolled.from_rollups
    for attr in (
        "volume_by_currency",
        "attempts",
        "authorized",
        "declines",
        "refunds_by_currency",
        "deliveries",
    ):
        assert getattr(rolled, attr) == getattr(live, attr), attr
    assert (
        dashboard_figures(period="7d", merchant_id=merchant.pk).volume_by_currency
        == rolled.volume_by_currency
    )
    # Rolled-up days are read from the roll-up, not re-aggregated from millions of rows.
    PaymentIntent.objects.filter(status="succeeded").update(amount_received=models.F("amount_received") + 1)
    assert dashboard_figures(period="7d").volume_by_currency == live.volume_by_currency
    call_command("reporting_rollup", days=8)  # re-rolling picks the change up
    assert {r["amount"] for r in dashboard_figures(period="7d").volume_by_currency} == {2501, 1235}
