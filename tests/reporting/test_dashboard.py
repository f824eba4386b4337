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


def test_daily_authorization_rate_and_disputes_per_day(payments, merchant, client):
    """Known attempts on known days give each day's rate; a day without attempts is a gap (None,
    null in the chart), the same whether the closed days come live or from the roll-ups; the
    merchant's reporting zone decides the day; the query count does not grow with the period."""
    import json
    from datetime import UTC, date, datetime

    import time_machine
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.backoffice.dashboard import daily_charts
    from apps.disputes.models import Dispute
    from apps.reporting.models import ReportingSettings
    from tests.reporting.conftest import backdate

    backdate(merchant, datetime(2026, 11, 1, tzinfo=UTC))
    ok = Charge.objects.get(public_id=payments["ok"]["latest_charge"])
    declined = Charge.objects.get(merchant=merchant, status="failed")
    eur = Charge.objects.get(public_id=payments["eur"]["latest_charge"])
    Charge.objects.filter(pk=ok.pk).update(created_at=datetime(2026, 11, 18, 12, tzinfo=UTC))
    Charge.objects.filter(pk=declined.pk).update(created_at=datetime(2026, 11, 18, 23, 30, tzinfo=UTC))
    Charge.objects.filter(pk=eur.pk).update(created_at=datetime(2026, 11, 20, 9, tzinfo=UTC))
    for n, (opened, due) in enumerate([((11, 16, 10), (11, 19, 10)), ((11, 19, 8), (11, 20, 8)),
                                       ((11, 19, 9), (12, 5, 9))]):  # fmt: skip
        dispute = Dispute.objects.create(
            merchant=merchant, livemode=False, charge=ok, payment_intent=ok.payment_intent, amount=100,
            connector=ok.connector, connector_dispute_id=f"sbxdp_day{n}", currency="USD",
            status=Dispute.Status.NEEDS_RESPONSE, due_by=datetime(2026, *due, tzinfo=UTC),
        )  # fmt: skip
        Dispute.objects.filter(pk=dispute.pk).update(created_at=datetime(2026, *opened, tzinfo=UTC))

    def series(figures, *keys):
        return {row["day"]: tuple(row[k] for k in keys) for row in figures.daily}

    days = [date(2026, 11, d) for d in range(14, 21)]
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=UTC), tick=False):
        live = dashboard_figures(period="7d")
        assert not live.from_rollups
        assert [row["day"] for row in live.daily] == days
        rates = series(live, "attempts", "authorized", "authorization_rate")
        assert rates[date(2026, 11, 18)] == (2, 1, 50.0)
        assert rates[date(2026, 11, 20)] == (1, 1, 100.0)
        assert {d for d, (tried, _a, rate) in rates.items() if rate is None} == set(days) - {
            date(2026, 11, 18), date(2026, 11, 20)}  # fmt: skip
        assert all(tried == 0 for tried, _a, rate in rates.values() if rate is None)
        disputes = series(live, "disputes_opened", "disputes_due")
        assert disputes[date(2026, 11, 16)] == (1, 0)
        assert disputes[date(2026, 11, 19)] == (2, 1)
        assert disputes[date(2026, 11, 20)] == (0, 1)  # the one due on 5 December is outside the period
        assert sum(o for o, _d in disputes.values()) == 3 and sum(d for _o, d in disputes.values()) == 2
        # The chart: one point per day, null (a gap) where there were no attempts, never 0 %.
        rate_chart, disputes_chart = (json.loads(c) for c in daily_charts(live.daily))
        assert rate_chart["labels"][0] == "2026-11-14" and len(rate_chart["labels"]) == 7
        assert rate_chart["datasets"][0]["data"] == [None, None, None, None, 50.0, None, 100.0]
        assert [ds["data"] for ds in disputes_chart["datasets"]] == [
            [0, 0, 1, 0, 0, 2, 0], [0, 0, 0, 0, 0, 1, 1]]  # fmt: skip

        # One aggregate query per source, whatever the number of days (both live here).
        with CaptureQueriesContext(connection) as week:
            dashboard_figures(period="7d", merchant_id=merchant.pk)
        with CaptureQueriesContext(connection) as month:
            dashboard_figures(period="30d", merchant_id=merchant.pk)
        assert len(month.captured_queries) == len(week.captured_queries)

        # Closed days from the roll-ups give the same series (today stays live).
        call_command("reporting_rollup", days=8)
        rolled = dashboard_figures(period="7d")
        assert rolled.from_rollups
        assert rolled.daily == live.daily

        # A Berlin merchant: the 23:30 UTC decline falls on the 19th, so the 18th is 100 % and the 19th 0 %.
        ReportingSettings.objects.create(merchant=merchant, timezone="Europe/Berlin")
        berlin = series(
            dashboard_figures(period="7d", merchant_id=merchant.pk), "attempts", "authorization_rate"
        )
        assert berlin[date(2026, 11, 18)] == (1, 100.0)
        assert berlin[date(2026, 11, 19)] == (1, 0.0)
        assert berlin[date(2026, 11, 20)] == (1, 100.0)
        assert berlin[date(2026, 11, 17)] == (0, None)

        # The page draws both with unfold's line chart.
        from apps.core.roles import sync_roles
        from tests.admin.staff import staff_user

        sync_roles()
        client.force_login(staff_user("finance", "fin-daily"))
        page = client.get("/admin/?period=7d").content.decode()
        assert 'id="dashboard-rate-chart"' in page and 'id="dashboard-disputes-chart"' in page
        assert page.count('data-type="line"') == 2
