"""Finance closes a day in a real browser: opens the run, writes off an amount mismatch that a
second finance member approves, re-runs, and the day shows zero open items."""

import re

import pytest

from apps.approvals.models import ApprovalRequest
from apps.reconciliation.models import Discrepancy, ReconciliationRun
from tests.admin.staff import staff_user
from tests.browser.test_back_office import login
from tests.reconciliation.factories import (
    charge_paid,
    ingest_acquirer_file,
    ingest_bank_statement,
    run,
    sandbox_fee_rule,
    today,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_writes_off_an_amount_mismatch_approved_by_another_and_the_day_closes(
    page, live_server, api, merchant, screens
):
    sandbox_fee_rule()
    charge_paid(api, merchant, 2000)
    charge_paid(api, merchant, 2092)  # the acquirer settles it 3 cents short
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    first = run()
    assert first.open_discrepancies == 1

    maker = staff_user("finance", "fay")
    login(page, live_server, maker)
    job = screens("finance-reconcile")
    page.goto(f"{live_server.url}/admin/reconciliation/reconciliationrun/{first.pk}/change/")
    assert "amount_under: 1" in page.content()
    job.seen("run")
    page.goto(f"{live_server.url}/admin/reconciliation/discrepancy/?status__exact=open")
    assert "amount 20.92 USD vs 20.89 USD" in page.content()
    job.seen("discrepancies")
    page.check("input.action-select")
    page.select_option("select[name=action]", "write_off")
    page.click("#changelist-actions-wrapper button[type=submit]")
    page.fill("textarea[name=reason]", "Acquirer short-paid 0.03 USD on the day's batch; below dispute cost")
    job.seen("write-off-form")
    page.click("form button[type=submit]:has-text('Confirm')")
    page.wait_for_selector("text=Sent to the approval queue")
    job.seen("sent")
    assert job.count <= 3, job.paths
    discrepancy = Discrepancy.objects.get(type="amount_under")
    approval = ApprovalRequest.objects.get(public_id=discrepancy.approval_id)
    page.context.clear_cookies()

    checker = staff_user("finance", "finn")
    login(page, live_server, checker)
    page.goto(f"{live_server.url}/admin/approvals/approvalrequest/{approval.pk}/decide/")
    page.wait_for_selector("#decision-form")
    page.fill("textarea[name=reason]", "Checked the settlement file: 20.89 USD settled")
    page.click("#approve")
    page.wait_for_selector("text=is now executed")
    discrepancy.refresh_from_db()
    assert discrepancy.resolution == "written_off"

    page.goto(f"{live_server.url}/admin/reconciliation/reconciliationrun/")
    page.check("input.action-select")
    page.select_option("select[name=action]", "rerun")
    page.click("#changelist-actions-wrapper button[type=submit]")
    page.fill("textarea[name=reason]", "Close the day after the write-off")
    page.click("form button[type=submit]:has-text('Confirm')")
    page.wait_for_selector("text=Queued a re-run of")
    rerun = ReconciliationRun.objects.order_by("-pk").first()
    assert rerun.pk != first.pk and rerun.status == "completed" and rerun.open_discrepancies == 0
    page.goto(f"{live_server.url}/admin/reconciliation/reconciliationrun/{rerun.pk}/change/")
    assert re.search(r"open discrepancies by type.*?none", page.content(), re.S | re.I)
    assert not Discrepancy.objects.filter(status="open").exists()
