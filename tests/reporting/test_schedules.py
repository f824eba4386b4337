"""Scheduled reports: periods of the schedule's time zone (Berlin's 23-hour day included), runs
made by beat's task once a period has ended plus its delay, exactly once per period, delivered
as a signed webhook whose payload carries the signed, expiring download URL; API and admin."""

import csv
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.core.roles import sync_roles
from apps.intents.models import PaymentIntent
from apps.reporting.models import ReportRun, ReportSchedule
from apps.reporting.services import report_schedules_run_due
from apps.reporting.services.schedules import period_after, period_containing
from apps.webhooks import services as webhook_services
from apps.webhooks.models import Event
from tests.admin.staff import staff_user
from tests.reporting.conftest import backdate
from tests.webhooks.factories import fan_out, make_endpoint
from tests.webhooks.helpers import receiver_server, verify_webhook_signature

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
CREATED = datetime(2026, 3, 28, 12, tzinfo=UTC)  # a Saturday; Sunday 29 March is 23 hours in Berlin


@pytest.fixture
def receiver():
    with receiver_server() as r:
        yield r


def test_periods_are_local_days_iso_weeks_and_months():
    day = period_containing(CREATED, frequency="daily", tz=BERLIN)
    assert day == (datetime(2026, 3, 28, tzinfo=BERLIN), datetime(2026, 3, 29, tzinfo=BERLIN))
    dst = period_after(day[1], frequency="daily", tz=BERLIN)
    assert dst[1].timestamp() - dst[0].timestamp() == 23 * 3600
    week = period_containing(CREATED, frequency="weekly", tz=BERLIN)
    assert week == (datetime(2026, 3, 23, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))
    month = period_containing(CREATED, frequency="monthly", tz=BERLIN)
    assert month == (datetime(2026, 3, 1, tzinfo=BERLIN), datetime(2026, 4, 1, tzinfo=BERLIN))
    assert period_after(month[1], frequency="monthly", tz=BERLIN)[1] == datetime(2026, 5, 1, tzinfo=BERLIN)
    # Late December in a zone west of UTC: the local day, not the UTC one.
    ny = ZoneInfo("America/New_York")
    assert period_containing(datetime(2027, 1, 1, 3, tzinfo=UTC), frequency="monthly", tz=ny)[0] == datetime(
        2026, 12, 1, tzinfo=ny
    )


def _create(api, **body):
    body = {"report_type": "payments.itemized.1", "frequency": "daily", "timezone": "Europe/Berlin", **body}
    return api.post("/v1/reporting/report_schedules", body, format="json")


def test_a_daily_schedule_runs_each_berlin_day_once_and_delivers_a_signed_webhook(
    api, merchant, payments, receiver, django_capture_on_commit_callbacks
):
    backdate(merchant, datetime(2026, 3, 1, tzinfo=UTC))
    moments = [datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),  # 23:59:59 on the 28th in Berlin
               datetime(2026, 3, 28, 23, 0, 0, tzinfo=UTC),    # 00:00 on the 29th
               datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)]  # 23:59:59 on the 29th (CEST)  # fmt: skip
    for intent, moment in zip(
        PaymentIntent.objects.filter(merchant=merchant).order_by("id"), moments, strict=True
    ):
        PaymentIntent.objects.filter(pk=intent.pk).update(created_at=moment)
    endpoint, secret = make_endpoint(merchant, receiver.url, ["reporting.report_run.succeeded"])
    with time_machine.travel(CREATED, tick=False):
        response = _create(
            api, webhook_endpoint=endpoint.public_id, parameters={"columns": ["id", "created", "amount"]}
        )
        assert response.status_code == 200, response.json()
        schedule = response.json()
        assert schedule["next_interval_start"] == int(datetime(2026, 3, 28, tzinfo=BERLIN).timestamp())
        assert schedule["next_run_at"] == int(datetime(2026, 3, 29, 1, tzinfo=BERLIN).timestamp())
        assert report_schedules_run_due() == 0  # the day is under way
    # Two days later: the 28th and the 23-hour 29th are due, the 30th is not.
    with time_machine.travel(datetime(2026, 3, 30, 2, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert report_schedules_run_due() == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert report_schedules_run_due() == 0  # a second beat (or a retried task) makes nothing
        runs = list(ReportRun.objects.filter(schedule__public_id=schedule["id"]).order_by("id"))
        assert [r.status for r in runs] == ["succeeded", "succeeded"]
        spans = [(r.parameters["interval_start"], r.parameters["interval_end"]) for r in runs]
        assert spans[0][1] == spans[1][0] and [b - a for a, b in spans] == [86400, 82800]
        assert [r.rows_written for r in runs] == [1, 2]
        # The webhook machinery's own fan-out and send (in production: on commit, or the outbox
        # sweeper): each run's succeeded event reaches the schedule's endpoint, signed.
        events = Event.objects.filter(type="reporting.report_run.succeeded").order_by("id")
        assert events.count() == 2
        for event in events:
            for delivery in fan_out(event):
                assert delivery.endpoint_id == endpoint.pk
                assert webhook_services.delivery_send(delivery_id=delivery.pk) == "succeeded"
        got = receiver.wait_for(2)
        for request in got:
            headers = {k.lower(): v for k, v in request.headers.items()}
            assert verify_webhook_signature(request.body.decode(), headers["payments-signature"], secret)
        bodies = [json.loads(r.body) for r in got]
        assert {b["type"] for b in bodies} == {"reporting.report_run.succeeded"}
        delivered = {b["data"]["object"]["id"]: b["data"]["object"] for b in bodies}
        assert set(delivered) == {r.public_id for r in runs}
        first = delivered[runs[0].public_id]
        assert first["schedule"] == schedule["id"]
        result = first["result"]
        assert result["download_url"].startswith("http") and result["download_url"].endswith(result["url"])
        assert result["expires_at"] == int(datetime(2026, 3, 30, 3, tzinfo=UTC).timestamp())
        file = api.get(result["url"])
        rows = list(csv.DictReader(io.StringIO(b"".join(file.streaming_content).decode())))
        assert [int(r["created"]) for r in rows] == [int(moments[0].timestamp())]
        after = api.get(f"/v1/reporting/report_schedules/{schedule['id']}").json()
        assert after["next_interval_start"] == spans[1][1] and after["last_error"] is None
    with time_machine.travel(datetime(2026, 3, 30, 5, tzinfo=UTC), tick=False):
        assert api.get(result["url"]).json()["error"]["code"] == "report_file_link_expired"


def test_schedule_parameters_are_checked_and_tenant_scoped(api, api_other, merchant, other_merchant):
    not_subscribed, _ = make_endpoint(merchant, "https://example.com/h", ["payment_intent.succeeded"])
    theirs, _ = make_endpoint(other_merchant, "https://example.com/o", ["*"])
    cases = [
        ({"frequency": "hourly"}, "frequency"),
        ({"report_type": "payments.itemized.9"}, "report_type"),
        ({"format": "xlsx"}, "format"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"parameters": {"columns": ["id", "pan"]}}, "parameters[columns]"),
        ({"parameters": {"interval_start": 1}}, "parameters[interval_start]"),
        ({"webhook_endpoint": not_subscribed.public_id}, "webhook_endpoint"),
    ]
    for body, param in cases:
        response = _create(api, **body)
        assert response.status_code == 400, (body, response.json())
        assert response.json()["error"]["param"] == param
    assert _create(api, webhook_endpoint=theirs.public_id).status_code == 404
    assert not ReportSchedule.objects.exists()
    created = _create(api, report_type="settlement.daily.1").json()
    url = f"/v1/reporting/report_schedules/{created['id']}"
    assert api_other.get(url).status_code == 404
    assert api_other.post(url, {"active": False}, format="json").status_code == 404
    assert api_other.delete(url).status_code == 404
    assert api_other.get("/v1/reporting/report_schedules").json()["data"] == []
    assert [s["id"] for s in api.get("/v1/reporting/report_schedules").json()["data"]] == [created["id"]]
    assert api.post(url, {"active": False}, format="json").json()["active"] is False
    assert AuditEntry.objects.filter(action="report_schedule.paused").count() == 1
    assert api.delete(url).json()["deleted"] is True
    assert api.get(url).status_code == 404


def test_a_paused_schedule_makes_no_run_and_a_failing_period_is_recorded(
    api, merchant, monkeypatch, django_capture_on_commit_callbacks
):
    backdate(merchant, datetime(2026, 3, 1, tzinfo=UTC))
    with time_machine.travel(CREATED, tick=False):
        paused = _create(api).json()
        failing = _create(api, report_type="refunds.itemized.1").json()
        api.post(f"/v1/reporting/report_schedules/{paused['id']}", {"active": False}, format="json")
    from apps.reporting.report_types import _REGISTRY

    monkeypatch.delitem(_REGISTRY, "refunds.itemized.1")  # the type was withdrawn since
    with (
        time_machine.travel(datetime(2026, 3, 29, 2, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert report_schedules_run_due() == 0
    assert not ReportRun.objects.exists()
    row = ReportSchedule.objects.get(public_id=failing["id"])
    assert row.last_error.startswith("ReportTypeUnknown") and row.next_interval_start == datetime(
        2026, 3, 29, tzinfo=BERLIN
    )


def test_finance_creates_and_pauses_a_schedule_in_the_admin(client, merchant):
    sync_roles()
    client.force_login(staff_user("finance", "fin-schedules"))
    add = reverse("admin:reporting_reportschedule_add")
    assert client.get(add).status_code == 200
    form = {"merchant": merchant.pk, "report_type": "settlement.daily.1", "format": "csv", "frequency": "daily",
            "timezone": "Europe/Berlin", "reason": "daily settlement for sign-off"}  # fmt: skip
    response = client.post(add, form)
    schedule = ReportSchedule.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{schedule.pk}/change/")
    assert (schedule.report_type, schedule.timezone, schedule.active) == (
        "settlement.daily.1",
        "Europe/Berlin",
        True,
    )
    assert AuditEntry.objects.filter(action="report_schedule.created").exists()
    page = client.get(reverse("admin:reporting_reportschedule_change", args=[schedule.pk]))
    assert page.status_code == 200 and "none yet" in page.content.decode()
    changelist = reverse("admin:reporting_reportschedule_changelist")
    client.post(changelist, {"action": "pause_schedules", "_selected_action": [schedule.pk]})
    schedule.refresh_from_db()
    assert schedule.active is False
