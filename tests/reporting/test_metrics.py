"""The metrics API: buckets in the merchant's time zone that add up to the total, roll-ups that
agree with the live figures and with the dashboard, labelled grains, and 400s naming the param."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.intents.models import Charge, PaymentIntent
from apps.reporting.models import ReportingSettings
from apps.reporting.selectors import dashboard_figures
from apps.reporting.services import metric_hours_rollup

pytestmark = pytest.mark.django_db

ALL = "payments_count,success_rate,attempts_count,decline_rate,authorization_rate,refund_rate,chargeback_rate,avg_settlement_delay"


def _metrics(api, **params):
    return api.get("/v1/reporting/metrics", params)


def _spread(merchant):
    """Move the three payments (and their attempts) to three different Berlin days."""
    intents = list(PaymentIntent.objects.filter(merchant=merchant).order_by("id"))
    days = [datetime(2026, 11, 27, 22, 30, tzinfo=UTC), datetime(2026, 11, 28, 23, 30, tzinfo=UTC),
            datetime(2026, 11, 29, 12, 0, tzinfo=UTC)]  # fmt: skip
    for intent, moment in zip(intents, days, strict=True):
        PaymentIntent.objects.filter(pk=intent.pk).update(created_at=moment)
        Charge.objects.filter(payment_intent=intent).update(created_at=moment)
    return days


def test_buckets_add_up_to_the_total_and_follow_the_time_zone(api, payments, merchant):
    _spread(merchant)
    start, end = datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    body = _metrics(api, metrics=ALL, group_by="currency,connector", granularity="day",
                    **{"from": int(start.timestamp()), "to": int(end.timestamp())}, timezone="Europe/Berlin").json()  # fmt: skip
    assert body["metrics"]["payments_count"] == {"grain": "payment", "unit": "count"}
    assert body["metrics"]["decline_rate"]["grain"] == "attempt"
    totals = body["totals"]
    assert totals["counts"]["payments"] == 3
    assert totals["counts"]["attempts"] == 3
    assert totals["values"]["decline_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert totals["values"]["success_rate"] == pytest.approx(2 / 3, abs=1e-6)
    for counter, total in totals["counts"].items():
        assert sum(row["counts"][counter] for row in body["data"]) == total, counter
    # 22:30 UTC on the 27th is 23:30 in Berlin (the 27th); 23:30 UTC on the 28th is the 29th there.
    days = sorted({row["bucket"][:10] for row in body["data"] if row["counts"]["payments"]})
    assert days == ["2026-11-27", "2026-11-29"]
    by_day = {}
    for row in body["data"]:
        by_day[row["bucket"][:10]] = by_day.get(row["bucket"][:10], 0) + row["counts"]["payments"]
    assert by_day["2026-11-29"] == 2
    # Buckets are local days cut to the interval: the first starts at `from` (01:00 in Berlin).
    first, *middle = sorted({(r["bucket_start"], r["bucket_end"]) for r in body["data"]})
    assert first[0] == int(start.timestamp()) and first[1] - first[0] == 23 * 3600
    assert all(b - a == 86400 for a, b in middle) and all(b <= int(end.timestamp()) for _, b in middle)


def test_the_merchant_time_zone_is_the_default(api, payments, merchant):
    _spread(merchant)
    ReportingSettings.objects.create(merchant=merchant, timezone="Europe/Berlin")
    window = {"from": int(datetime(2026, 11, 27, tzinfo=UTC).timestamp()),
              "to": int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())}  # fmt: skip
    body = _metrics(api, metrics="payments_count", **window).json()
    assert body["timezone"] == "Europe/Berlin"
    assert sorted(r["bucket"][:10] for r in body["data"]) == ["2026-11-27", "2026-11-29"]


def test_rolled_up_hours_answer_what_the_live_query_answered(api, payments, merchant):
    _spread(merchant)
    window = {"from": int(datetime(2026, 11, 27, 5, 17, tzinfo=UTC).timestamp()),
              "to": int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())}  # fmt: skip
    params = {"metrics": ALL, "group_by": "connector,currency,payment_method_type,card_brand,decline_code",
              "timezone": "America/New_York", **window}  # fmt: skip
    live = _metrics(api, **params).json()
    assert live["sources"]["rollup"] is None
    metric_hours_rollup(start=datetime(2026, 11, 26, tzinfo=UTC), end=datetime(2026, 12, 1, tzinfo=UTC))
    rolled = _metrics(api, **params).json()
    # The partial first hour stays live; the rest comes from the roll-up.
    assert rolled["sources"]["rollup"] == [int(datetime(2026, 11, 27, 6, tzinfo=UTC).timestamp()),
                                           int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())]  # fmt: skip
    assert rolled["data"] == live["data"]
    assert rolled["totals"] == live["totals"]
    # Roll-ups are read, not recomputed: a later change shows only after the next roll-up.
    PaymentIntent.objects.filter(merchant=merchant, status="succeeded").update(status="canceled")
    assert _metrics(api, **params).json()["totals"] == live["totals"]
    assert _metrics(api, **{**params, "from": window["from"] - 3600 * 24})  # still answers


def test_card_brand_and_decline_code_dimensions(api, payments):
    now = timezone.now()
    body = _metrics(api, metrics="attempts_count,decline_rate", group_by="card_brand,decline_code",
                    **{"from": int((now - timedelta(hours=1)).timestamp()), "to": int((now + timedelta(minutes=1)).timestamp())},
                    timezone="UTC").json()  # fmt: skip
    dims = {
        (r["dimensions"]["card_brand"], r["dimensions"]["decline_code"]): r["counts"] for r in body["data"]
    }
    assert dims[("mastercard", "")]["attempts"] == 1
    assert dims[("visa", "insufficient_funds")]["attempts_declined"] == 1


def test_day_boundaries_agree_with_the_dashboard_in_utc(api, payments, merchant):
    figures = dashboard_figures(period="today", merchant_id=merchant.pk)
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    body = _metrics(api, metrics="attempts_count,authorization_rate", timezone="UTC", granularity="day",
                    **{"from": int(today.timestamp()), "to": int((today + timedelta(days=1)).timestamp())}).json()  # fmt: skip
    (bucket,) = body["data"]
    assert bucket["bucket_start"] == int(today.timestamp())
    assert bucket["counts"]["attempts"] == figures.attempts
    assert bucket["counts"]["attempts_authorized"] == figures.authorized


def test_the_dst_day_is_a_23_hour_bucket(api, merchant):
    body = _metrics(api, metrics="payments_count", timezone="Europe/Berlin", granularity="day",
                    **{"from": int(datetime(2026, 3, 28, 23, tzinfo=UTC).timestamp()),
                       "to": int(datetime(2026, 3, 29, 22, tzinfo=UTC).timestamp())}).json()  # fmt: skip
    assert body["data"] == []  # no payments, no buckets
    from zoneinfo import ZoneInfo

    from apps.reporting.metrics import bucket_end, bucket_of

    berlin = ZoneInfo("Europe/Berlin")
    start = bucket_of(datetime(2026, 3, 29, 12, tzinfo=UTC), granularity="day", tz=berlin)
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert bucket_end(start, granularity="day", tz=berlin) - start == timedelta(hours=23)


def test_metrics_are_tenant_scoped(api_other, payments):
    now = timezone.now()
    body = _metrics(api_other, metrics="payments_count", **{"from": int((now - timedelta(days=1)).timestamp()),
                    "to": int((now + timedelta(hours=1)).timestamp())}).json()  # fmt: skip
    assert body["data"] == [] and body["totals"]["counts"]["payments"] == 0


@pytest.mark.parametrize(
    "params, param",
    [
        ({"metrics": "payments_count,bogus"}, "metrics"),
        ({"group_by": "country"}, "group_by"),
        ({"granularity": "week"}, "granularity"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"from": "1764547200", "to": "1764460800"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"to": None}, "to"),
        ({"granularity": "hour", "from": "1700000000", "to": "1764547200"}, "to"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(api, params, param):
    query = {"from": "1764460800", "to": "1764547200", **params}
    query = {k: v for k, v in query.items() if v is not None}
    response = _metrics(api, **query)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["param"] == param
