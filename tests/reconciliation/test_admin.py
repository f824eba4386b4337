from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.reconciliation.models import ColumnMapping, Discrepancy, SettlementFile
from tests.admin.staff import staff_user

from .factories import charge_paid, ingest_acquirer_file, ingest_bank_statement, run, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def day(api, merchant):
    sandbox_fee_rule()
    charge_paid(api, merchant, 2000)
    charge_paid(api, merchant, 2092)
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    return run()


@pytest.fixture
def finance(client):
    client.force_login(staff_user("finance", "fin-1"))
    return client


def test_finance_sees_the_run_summary_and_the_discrepancy_side_by_side_in_major_units(day, finance):
    page = finance.get(reverse("admin:reconciliation_reconciliationrun_change", args=[day.pk]))
    assert page.status_code == 200 and b"amount_under: 1" in page.content
    queue = finance.get(reverse("admin:reconciliation_discrepancy_changelist") + "?type__exact=amount_under")
    assert (
        queue.status_code == 200
        and "amount 20.92 USD vs 20.89 USD (\u22120.03 USD)" in queue.content.decode()
    )
    discrepancy = Discrepancy.objects.get(type="amount_under")
    detail = finance.get(
        reverse("admin:reconciliation_discrepancy_change", args=[discrepancy.pk])
    ).content.decode()
    assert "Settlement line" in detail and 'background:#fde68a;font-weight:600">gross: 20.89 USD' in detail
    # the raw row as read, from the line's cells and its file's header
    assert (
        "&#x27;gross&#x27;: &#x27;20.89&#x27;" in detail
        and "&#x27;record_type&#x27;: &#x27;capture&#x27;" in detail
    )


def test_ignore_from_the_queue_asks_a_reason_and_audits(day, finance):
    discrepancy = Discrepancy.objects.get(type="amount_under")
    url = reverse("admin:reconciliation_discrepancy_changelist")
    confirm = finance.post(url, {"action": "ignore", "_selected_action": [discrepancy.pk]})
    assert confirm.status_code == 200 and b"stay in automatic matching" in confirm.content
    done = finance.post(
        url,
        {
            "action": "ignore",
            "_selected_action": [discrepancy.pk],
            "apply": "1",
            "reason": "acquirer rounding, agreed",
        },
    )
    assert done.status_code == 302
    discrepancy.refresh_from_db()
    assert discrepancy.resolution == "ignored" and discrepancy.resolved_by == "fin-1"
    assert AuditEntry.objects.filter(
        action="reconciliation.discrepancy_ignored", actor_label="fin-1"
    ).exists()


def test_write_off_from_the_queue_waits_for_a_second_finance_member(day, finance):
    discrepancy = Discrepancy.objects.get(type="amount_under")
    url = reverse("admin:reconciliation_discrepancy_changelist")
    finance.post(
        url,
        {
            "action": "write_off",
            "_selected_action": [discrepancy.pk],
            "apply": "1",
            "reason": "short by 3 cents",
        },
    )
    discrepancy.refresh_from_db()
    assert discrepancy.status == "open" and discrepancy.approval_id
    assert ApprovalRequest.objects.get(public_id=discrepancy.approval_id).kind == "reconciliation_writeoff"


def test_upload_view_loads_a_bank_file_and_refuses_it_the_second_time(finance):
    url = reverse("admin:reconciliation_settlementfile_upload")
    content = (SAMPLES / "statement.mt940").read_bytes()
    first = finance.post(url, {"file": SimpleUploadedFile("s.mt940", content), "format": "mt940"})
    assert first.status_code == 302 and SettlementFile.objects.get().status == "processed"
    second = finance.post(url, {"file": SimpleUploadedFile("s.mt940", content), "format": "mt940"})
    assert second.status_code == 200 and b"ingested before as stf_" in second.content


def test_upload_view_shows_a_malformed_files_rows_and_columns(finance):
    url = reverse("admin:reconciliation_settlementfile_upload")
    content = (
        (SAMPLES / "stripe_itemized_payout_reconciliation.csv")
        .read_bytes()
        .replace(b"usd,-40.00", b"xxx,-40.00")
    )
    page = finance.post(
        url, {"file": SimpleUploadedFile("po.csv", content), "format": "stripe_payout_reconciliation"}
    )
    assert page.status_code == 200 and b"row 3, column currency: unknown currency" in page.content


def test_a_column_mapping_preview_shows_what_it_reads(finance):
    mapping = ColumnMapping.objects.create(
        name="Bank CSV",
        source_kind="bank",
        delimiter=";",
        decimal_separator=",",
        date_format="%d.%m.%Y",
        columns={
            "booking_date": "Buchungstag",
            "amount": "Betrag",
            "currency": "Waehrung",
            "reference": "Verwendungszweck",
            "credit_debit": "S/H",
        },
    )
    url = reverse("admin:reconciliation_columnmapping_preview", args=[mapping.pk])
    page = finance.post(
        url, {"file": SimpleUploadedFile("b.csv", (SAMPLES / "generic_bank.csv").read_bytes())}
    )
    assert page.status_code == 200
    assert b"SBXPO-20261128-EUR" in page.content and b"amount=9680" in page.content
