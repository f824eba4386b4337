import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.ledger.services import ledger_adjustment_post, ledger_post_capture
from apps.reconciliation.models import AccountingPeriod, GLAccountMapping
from apps.reconciliation.services.gl import accounting_period_close, accounting_period_reopen, gl_export_csv
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")
DAY = dt.date(2026, 11, 2)


def _capture(merchant, charge_id, amount, currency="USD", day=DAY):
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    ledger_post_capture(merchant=merchant, livemode=False, charge_id=charge_id, amount=amount, currency=currency,
                        connector_code="sandbox", captured_at=at)  # fmt: skip


@pytest.fixture
def november(merchant):
    GLAccountMapping.objects.create(
        account_kind="connector_clearing", gl_code="1200", gl_name="Acquirer receivable"
    )
    _capture(merchant, "ch_gl_1", 10_000)
    _capture(merchant, "ch_gl_2", 5_000, "EUR")
    _capture(merchant, "ch_gl_3", 1_000, "JPY")
    period = AccountingPeriod.objects.create(start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
    return accounting_period_close(period_id=period.pk, actor=ACTOR)


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def test_gl_export_is_balanced_per_currency_and_mapped(november):
    rows = _rows(gl_export_csv(period=november))
    totals = defaultdict(lambda: Decimal(0))
    for row in rows:
        totals[row["currency"]] += Decimal(row["debit"] or 0) - Decimal(row["credit"] or 0)
    assert set(totals) == {"USD", "EUR", "JPY"} and all(v == 0 for v in totals.values())
    clearing = next(r for r in rows if r["gl_code"] == "1200" and r["currency"] == "USD")
    assert clearing["debit"] == "100.00" and clearing["gl_name"] == "Acquirer receivable"
    assert any(r["gl_code"] == "UNMAPPED-pending" for r in rows)  # unmapped accounts are shown, never dropped
    assert next(r for r in rows if r["currency"] == "JPY" and r["gl_code"] == "1200")["debit"] == "1000"


def test_gl_export_is_byte_identical_on_a_rerun_and_xero_is_balanced(november):
    assert gl_export_csv(period=november) == gl_export_csv(period=november)
    xero = _rows(gl_export_csv(period=november, fmt="xero"))
    per_currency = defaultdict(lambda: Decimal(0))
    for row in xero:
        per_currency[row["Currency"]] += Decimal(row["*Amount"])
    assert all(v == 0 for v in per_currency.values()) and xero[0]["*Date"] == "02/11/2026"


def test_a_correction_after_close_goes_to_the_next_open_period_unless_reopened(november, merchant):
    before = gl_export_csv(period=november)
    _capture(merchant, "ch_gl_late", 700)  # effective in closed November, made now
    ledger_adjustment_post(
        merchant=merchant, livemode=False, currency="USD", amount=-50, reason="fee", actor=ACTOR
    )
    assert gl_export_csv(period=november) == before
    now = dt.datetime.now(dt.UTC).date()
    current = AccountingPeriod.objects.create(start=now.replace(day=1), end=now + dt.timedelta(days=40))
    current = accounting_period_close(period_id=current.pk, actor=ACTOR)
    assert b"ch_gl_late" not in before
    late = [r for r in _rows(gl_export_csv(period=current)) if r["date"] == now.isoformat()]
    assert late, "the late capture is booked in the period open when it was made"

    accounting_period_reopen(period_id=november.pk, actor=ACTOR, reason="auditor's correction")
    assert AuditEntry.objects.filter(
        action="reconciliation.period_reopened", reason="auditor's correction"
    ).exists()
    november = accounting_period_close(period_id=november.pk, actor=ACTOR)
    assert b"ch_gl_late" in gl_export_csv(period=november)


def test_an_open_period_is_not_exported(merchant):
    period = AccountingPeriod.objects.create(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 1))
    with pytest.raises(Exception) as refused:
        gl_export_csv(period=period)
    assert getattr(refused.value, "code", "") == "accounting_period_unexpected_state"


def test_finance_downloads_the_export_and_only_admin_reopens(november, client):
    client.force_login(staff_user("finance", "fin-gl"))
    url = reverse("admin:reconciliation_accountingperiod_export", args=[november.pk, "journal"])
    response = client.get(url)
    assert response.status_code == 200 and response.content == gl_export_csv(period=november)
    changelist = reverse("admin:reconciliation_accountingperiod_changelist")
    refused = client.post(changelist, {"action": "reopen", "_selected_action": [november.pk], "apply": "1",
                                       "reason": "please"})  # fmt: skip
    assert refused.status_code == 403
