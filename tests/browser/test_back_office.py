"""A support, a finance and a compliance staff member do their day's work in a real browser."""

import re

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.approvals.models import ApprovalRequest
from apps.audit.export import verify_file
from apps.audit.models import AuditEntry, AuditExport
from apps.audit.services import Actor
from apps.merchants.models import MerchantSettings
from apps.refunds import services as refund_services
from apps.refunds.models import Refund
from tests.admin.staff import PASSWORD, staff_user
from tests.intents.helpers import make_card, pay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _totp(user) -> str:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login(page, live_server, user, *, code: str | None = None):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    if code is not None:
        page.fill("input[name=otp_token]", code)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def test_support_finds_a_payment_by_order_id_refunds_part_and_sees_the_audit_trail(
    page, live_server, api, merchant, settings
):
    settings.ADMIN_2FA_REQUIRED = True
    intent = pay(api, make_card(merchant), amount=4200, metadata={"order_id": "ORD-2026-0042"}).json()
    pay(api, make_card(merchant), amount=999, metadata={"order_id": "ORD-2026-0043"})
    support = staff_user("support", "sam")
    login(page, live_server, support, code=_totp(support))

    # One box on the dashboard: the order id opens the payment.
    page.fill("#global-search", "ORD-2026-0042")
    page.press("#global-search", "Enter")
    page.wait_for_url(re.compile(r".*/admin/intents/paymentintent/\d+/change/"))
    assert intent["id"] in page.content()

    # Refund part of it from the payments list, with a reason.
    page.goto(f"{live_server.url}/admin/intents/paymentintent/?q=ORD-2026-0042")
    page.check("input.action-select")
    page.select_option("select[name=action]", "refund_payments")
    page.click("#changelist-actions-wrapper button[type=submit]")
    # Major units, as written on a receipt; the confirm step repeats the amount.
    page.fill("input[name=amount]", "15.00")
    page.select_option("select[name=refund_reason]", "product_return")
    page.fill("textarea[name=reason]", "Customer sent back one of the two items (ticket 881)")
    page.click("form button[type=submit]:has-text('Continue')")
    assert "Refund 15.00 USD of 42.00 USD refundable" in page.inner_text("#review-sentence")
    page.click("#submit")

    refund = Refund.objects.get(payment_intent__public_id=intent["id"])
    page.wait_for_selector(f"text=Refund {refund.public_id} of 15.00 USD succeeded.")
    assert (refund.amount, refund.status) == (1500, Refund.Status.SUCCEEDED)
    entry = AuditEntry.objects.get(action="refund.create", object_id=refund.public_id)
    assert entry.actor_label == "sam"

    # The payment's page shows the refund and its audit entries (who, what, why).
    page.goto(f"{live_server.url}/admin/intents/paymentintent/?q=ORD-2026-0042")
    page.click(f"text={intent['id']}")
    page.wait_for_selector("[data-kind=refund]")
    timeline = page.locator("[data-kind=audit]")
    assert timeline.count() >= 1
    content = page.content()
    assert refund.public_id in content and "refund.create" in content and "sam" in content

    # And in the audit log itself, found by the refund's id: who, what and why.
    page.goto(f"{live_server.url}/admin/audit/auditentry/?q={refund.public_id}")
    row = page.locator("#result_list tbody tr", has_text="refund.create")
    assert row.count() == 1
    assert "sam" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("text=ticket 881")


def test_finance_approves_a_large_refund_requested_by_someone_else(page, live_server, api, merchant):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=10_000)
    intent = pay(api, make_card(merchant), amount=50_000, metadata={"order_id": "ORD-BIG"}).json()
    support = staff_user("support", "sam")
    refund = refund_services.refund_create(
        merchant=merchant,
        livemode=False,
        actor=Actor.staff(support),
        payment_intent=intent["id"],
        amount=30_000,
        reason="requested_by_customer",
        staff_reason="Whole order returned unopened",
    )
    assert refund.status == Refund.Status.REQUIRES_APPROVAL
    approval = ApprovalRequest.objects.get(target_id=refund.public_id)

    # The requester sees the request but cannot decide it.
    login(page, live_server, support)
    page.goto(f"{live_server.url}/admin/approvals/approvalrequest/{approval.pk}/decide/")
    assert "403" in page.title() or page.locator("#decision-form").count() == 0
    page.context.clear_cookies()

    finance = staff_user("finance", "fay")
    login(page, live_server, finance)
    page.click("text=Approval queue")
    page.wait_for_selector(f"text={approval.public_id}")
    assert "300.00 USD" in page.content()
    page.click("a.decide-link")
    page.wait_for_selector("#decision-form")
    assert "Whole order returned unopened" in page.content()
    page.fill("textarea[name=reason]", "Return received in the warehouse, receipt checked")
    page.click("#approve")
    page.wait_for_selector("text=is now executed")

    approval.refresh_from_db()
    refund.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED and approval.decided_by == finance
    assert refund.status == Refund.Status.SUCCEEDED and refund.decided_by_id == finance.pk
    assert User.objects.get(pk=approval.requested_by_user_id) == support


def test_compliance_exports_the_audit_log_and_downloads_it(page, live_server, merchant, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    for i in range(30):
        from apps.audit.services import audit_record

        audit_record(
            actor=Actor.system("seed"), action="settings.updated", merchant=merchant, object_id=f"x_{i}"
        )
    compliance = staff_user("compliance", "cleo")
    login(page, live_server, compliance)
    page.click("text=Compliance exports")
    page.click("a[href$='/admin/audit/auditexport/add/']")
    page.fill("input[name=action]", "settings.")
    page.click("button[name=_save]")
    page.wait_for_url(re.compile(r".*/admin/audit/auditexport/$"))
    export = AuditExport.objects.get()
    assert export.status == AuditExport.Status.COMPLETED and export.row_count == 30

    page.click(f"text={export.public_id}")
    with page.expect_download() as download_info:
        page.click("a.download-link:has-text('CSV')")
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.name == f"{export.public_id}.csv"
    result = verify_file(target, export.manifest)
    assert result.ok and result.rows == 30 and result.final_hash == export.final_hash
    assert AuditEntry.objects.filter(action="audit_export.requested", actor_label="cleo").exists()
    assert AuditEntry.objects.filter(action="audit_export.downloaded", actor_label="cleo").exists()
