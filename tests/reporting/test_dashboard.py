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


def test_dashboard_api_and_exports_agree_on_the_merchants_day(
    api, payments, merchant, client, django_capture_on_commit_callbacks
):
    """A Berlin merchant's payment at 23:30 UTC belongs to the next day everywhere: the
    dashboard's "today" for that merchant, the metrics API's day bucket and a report run of the
    day (all default to the merchant's reporting time zone)."""
    import csv
    import io
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from apps.core.roles import sync_roles
    from apps.reporting.models import ReportingSettings
    from tests.admin.staff import staff_user
    from tests.reporting.conftest import backdate

    backdate(merchant, datetime(2026, 11, 1, tzinfo=UTC))
    ReportingSettings.objects.create(merchant=merchant, timezone="Europe/Berlin")
    late = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)  # 00:30 on the 20th in Berlin
    PaymentIntent.objects.filter(merchant=merchant, currency="EUR").update(created_at=late)
    Charge.objects.filter(merchant=merchant, currency="EUR").update(created_at=late)
    berlin_midnight = datetime(2026, 11, 20, tzinfo=ZoneInfo("Europe/Berlin"))
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=UTC), tick=False):
        mine = dashboard_figures(period="today", merchant_id=merchant.pk)
        assert mine.timezone == "Europe/Berlin" and mine.since == berlin_midnight
        assert {r["currency"] for r in mine.volume_by_currency} == {"EUR"}
        assert dashboard_figures(period="today").timezone == "UTC"  # all merchants: UTC days
        assert "EUR" not in {r["currency"] for r in dashboard_figures(period="today").volume_by_currency}
        now = int(datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp())
        metrics = api.get("/v1/reporting/metrics", {"metrics": "payments_succeeded", "group_by": "currency",
                                                    "from": int(berlin_midnight.timestamp()), "to": now}).json()  # fmt: skip
        assert metrics["timezone"] == "Europe/Berlin"
        day = [(r["bucket_start"], r["dimensions"]["currency"], r["values"]["payments_succeeded"])
               for r in metrics["data"]]  # fmt: skip
        assert day == [(int(berlin_midnight.timestamp()), "EUR", 1)]
        with django_capture_on_commit_callbacks(execute=True):
            created = api.post("/v1/reporting/report_runs", {"report_type": "payments.itemized.1", "parameters": {
                "interval_start": int(berlin_midnight.timestamp()), "interval_end": now}}, format="json").json()  # fmt: skip
        run = api.get(f"/v1/reporting/report_runs/{created['id']}").json()
        assert run["parameters"]["timezone"] == "Europe/Berlin"
        rows = list(
            csv.DictReader(io.StringIO(b"".join(api.get(run["result"]["url"]).streaming_content).decode()))
        )
        assert [(r["currency"], r["created_local"]) for r in rows] == [("EUR", "2026-11-20T00:30:00+01:00")]
        sync_roles()
        client.force_login(staff_user("finance", "fin-dash"))
        page = client.get(f"/admin/?merchant={merchant.public_id}").content.decode()
        assert "Days in Europe/Berlin" in page
