"""Back office: report runs with date presets, live progress and an audited download; the daily
settlement report finance reads and signs off (audited, refused to roles without the permission)."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.core.roles import sync_roles
from apps.reporting.admin import preset_dates
from apps.reporting.models import ReportRun, SettlementSignOff
from tests.admin.staff import staff_user
from tests.reporting.conftest import backdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    sync_roles()
    client.force_login(staff_user("finance", "fin-reports"))
    return client


def test_presets_are_whole_closed_days():
    today = date(2026, 3, 15)
    assert preset_dates("yesterday", today) == (date(2026, 3, 14), date(2026, 3, 14))
    assert preset_dates("last_7_days", today) == (date(2026, 3, 8), date(2026, 3, 14))
    assert preset_dates("last_month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert preset_dates("month_to_date", date(2026, 3, 1)) == (date(2026, 2, 28), date(2026, 2, 28))


def test_finance_runs_a_report_and_downloads_it(
    finance, payments, merchant, django_capture_on_commit_callbacks
):
    backdate(merchant, datetime(2026, 11, 20, 9, tzinfo=UTC))
    add = reverse("admin:reporting_reportrun_add")
    assert finance.get(add).status_code == 200
    form = {"merchant": merchant.pk, "report_type": "payments.itemized.1", "format": "parquet", "preset": "custom",
            "date_from": "2026-11-20", "date_to": "2026-11-20", "timezone": "Europe/Berlin", "reason": "month end"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(add, form)
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{run.pk}/change/")
    run.refresh_from_db()
    assert run.status == "succeeded" and run.rows_written == 3
    assert run.parameters["interval_end"] - run.parameters["interval_start"] == 86400
    assert run.parameters["timezone"] == "Europe/Berlin"
    page = finance.get(reverse("admin:reporting_reportrun_change", args=[run.pk])).content.decode()
    assert "3 / 3 rows (100.0%)" in page, page[page.find('report-progress" data-url') :][:400]
    assert "report-download" in page and run.sha256 in page
    progress = finance.get(reverse("admin:reporting_reportrun_progress", args=[run.pk])).json()
    assert progress["status"] == "succeeded" and progress["progress"]["rows_written"] == 3
    download = finance.get(reverse("admin:reporting_reportrun_download", args=[run.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"PAR1")
    assert AuditEntry.objects.filter(action="report_run.downloaded", object_id=run.public_id).count() == 1
    assert AuditEntry.objects.filter(action="report_run.created", object_id=run.public_id).count() == 1


def test_a_pending_run_shows_live_progress(finance, merchant):
    run = ReportRun.objects.create(merchant=merchant, report_type="payments.itemized.1", parameters={},
                                   parameters_hash="x", rows_written=40, rows_estimated=160)  # fmt: skip
    page = finance.get(reverse("admin:reporting_reportrun_changelist")).content.decode()
    assert 'data-status="pending"' in page and "40 / 160 rows (25.0%)" in page
    ReportRun.objects.filter(pk=run.pk).update(rows_written=120)
    body = finance.get(reverse("admin:reporting_reportrun_progress", args=[run.pk])).json()
    assert body == {"status": "pending", "progress": {"rows_written": 120, "rows_estimated": 160, "percent": 75.0},
                    "error": None}  # fmt: skip


def test_finance_signs_off_the_daily_settlement_report(finance, payments, merchant):
    backdate(merchant, datetime(2026, 11, 20, 9, tzinfo=UTC))
    url = reverse("admin:reporting_settlement")
    page = finance.get(
        url, {"merchant": merchant.public_id, "date": "2026-11-20", "timezone": "UTC"}
    ).content.decode()
    assert "25.00 USD" in page and "12.34 EUR" in page and "Sign off" in page
    response = finance.post(reverse("admin:reporting_settlement_sign_off"), {
        "merchant": merchant.public_id, "day": "2026-11-20", "connector": "sandbox", "currency": "USD",
        "timezone": "UTC", "note": "matches the bank statement"})  # fmt: skip
    assert response.status_code == 302
    signoff = SettlementSignOff.objects.get()
    assert (signoff.connector, signoff.currency, signoff.signed_by.username) == (
        "sandbox",
        "USD",
        "fin-reports",
    )
    assert signoff.figures["acquirer"]["gross_captures"] == 2500
    entry = AuditEntry.objects.get(action="settlement_report.signed_off")
    assert entry.reason == "matches the bank statement" and entry.actor_label == "fin-reports"
    page = finance.get(
        url, {"merchant": merchant.public_id, "date": "2026-11-20", "timezone": "UTC"}
    ).content.decode()
    assert "Signed by fin-reports" in page and "figures changed since" not in page


def test_support_cannot_sign_off(client, payments, merchant):
    sync_roles()
    client.force_login(staff_user("support", "sup-reports"))
    response = client.post(reverse("admin:reporting_settlement_sign_off"), {
        "merchant": merchant.public_id, "day": "2026-11-20", "connector": "sandbox", "currency": "USD",
        "timezone": "UTC"})  # fmt: skip
    assert response.status_code == 403
    assert not SettlementSignOff.objects.exists()
