"""The dispute workbench in a real browser: support drafts evidence with an uploaded PDF and
submits it once; support asks to accept another dispute and a finance approver approves it."""

import re

import pytest

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.connectors.sandbox import SandboxAdapter
from apps.disputes.models import Dispute
from apps.files.models import File
from apps.intents.models import Charge
from tests.admin.staff import staff_user
from tests.disputes.conftest import connector_of
from tests.files.conftest import PDF, files_in_tmp  # noqa: F401 (fixture)
from tests.intents.helpers import make_card, pay
from tests.webhooks.test_api_inbound import post_callback

from .test_back_office import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _dispute(api, merchant, amount) -> Dispute:
    body = pay(api, make_card(merchant, "4000000000000259"), amount=amount).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    [(raw, headers)] = SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference)
    assert post_callback(connector_of(merchant).public_id, raw, headers).status_code == 200
    return Dispute.objects.get(charge=charge)


def test_support_drafts_with_a_pdf_submits_and_finance_approves_an_accept(
    page, live_server, api, merchant, tmp_path
):
    to_fight = _dispute(api, merchant, 4_200)
    to_accept = _dispute(api, merchant, 1_300)
    support = staff_user("support", "sam")
    login(page, live_server, support)

    # The queue: both disputes, their countdowns; open the first.
    page.click("text=Disputes >> nth=-1")
    page.wait_for_selector(f"text={to_fight.public_id}")
    assert "42.00 USD" in page.content() and page.locator(".countdown").count() == 2
    page.click(f"text={to_fight.public_id}")
    page.wait_for_selector("#evidence-form")
    assert "42.00 USD" in page.locator("#dispute-amount").inner_text()

    # Draft: a name and a receipt PDF.
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(PDF)
    page.fill("input[name=customer_name]", "Ann Lee")
    page.fill("textarea[name=uncategorized_text]", "The customer signed for it: winning_evidence")
    page.set_input_files("input[name=receipt]", str(receipt))
    page.click("#save-draft")
    page.wait_for_selector("text=draft saved")
    to_fight.refresh_from_db()
    file = File.objects.get()
    assert to_fight.evidence["receipt"] == file.public_id and to_fight.submission_count == 0
    assert page.locator("#evidence-files").inner_text().count(file.public_id) == 1

    # Submit, confirmed with a reason: the one submission is used.
    page.click("#submit-evidence")
    page.wait_for_selector("#confirm-form")
    page.fill("textarea[name=reason]", "Signed delivery receipt attached")
    page.click("#submit")
    page.wait_for_selector("#submission-used")
    assert "Evidence submitted" in page.locator("#dispute-timeline").inner_text()
    to_fight.refresh_from_db()
    assert (to_fight.status, to_fight.submission_count) == ("under_review", 1)
    assert AuditEntry.objects.get(action="dispute.evidence_submitted").actor_label == "sam"

    # Ask to accept the other one.
    page.goto(f"{live_server.url}/admin/disputes/dispute/{to_accept.pk}/change/")
    page.click("#accept-dispute")
    page.fill("textarea[name=reason]", "Customer never received the order; refund policy applies")
    page.click("#submit")
    page.wait_for_selector("#accept-pending")
    approval = ApprovalRequest.objects.get(kind="dispute_accept", target_id=to_accept.public_id)
    page.context.clear_cookies()

    # Finance approves it from the approval queue.
    finance = staff_user("finance", "fay")
    login(page, live_server, finance)
    page.goto(f"{live_server.url}/admin/approvals/approvalrequest/{approval.pk}/decide/")
    page.wait_for_selector("#decision-form")
    assert "13.00 USD" in page.content()
    page.fill("textarea[name=reason]", "Agreed, accept it")
    page.click("#approve")
    page.wait_for_selector("text=is now executed")
    to_accept.refresh_from_db()
    assert to_accept.status == "lost"
    page.goto(f"{live_server.url}/admin/disputes/dispute/{to_accept.pk}/change/")
    page.wait_for_selector("#dispute-timeline")
    assert re.search(r"Dispute accepted \(lost\)", page.locator("#dispute-timeline").inner_text())
