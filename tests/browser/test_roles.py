"""Finance and compliance do their day's job in a real browser, counting the screens, with a
screenshot of each in test-artifacts/."""

import re

import pytest

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditExport
from apps.audit.services import Actor, audit_record
from apps.merchants.models import MerchantSettings
from apps.refunds import services as refund_services
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.browser.test_back_office import login
from tests.intents.helpers import make_card, pay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _waiting_refund(api, merchant, requester, *, amount, order_id):
    intent = pay(api, make_card(merchant), amount=50_000, metadata={"order_id": order_id}).json()
    refund = refund_services.refund_create(
        merchant=merchant, livemode=False, actor=Actor.staff(requester), payment_intent=intent["id"],
        amount=amount, reason="requested_by_customer", staff_reason=f"Return of {order_id}",
    )  # fmt: skip
    assert refund.status == Refund.Status.REQUIRES_APPROVAL
    return intent, refund, ApprovalRequest.objects.get(target_id=refund.public_id)


def test_finance_reviews_an_approval_with_its_context_and_approves_several_at_once(
    page, live_server, api, merchant, screens
):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=10_000)
    support = staff_user("support", "sam")
    intent, refund, approval = _waiting_refund(api, merchant, support, amount=30_000, order_id="ORD-A-1")
    _, _, second = _waiting_refund(api, merchant, support, amount=20_000, order_id="ORD-A-2")
    login(page, live_server, staff_user("finance", "fay"))
    job = screens("finance-approval")
    page.click("text=Approval queue")
    page.wait_for_selector(f"text={approval.public_id}")
    job.seen("queue")
    # The Review link is the first column: it never scrolls off screen at 1440 px.
    link = page.locator("a.decide-link").first
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1440
    fits = "(() => { const t = document.querySelector('#result_list'); return t.scrollWidth <= t.parentElement.clientWidth + 1; })()"
    assert page.evaluate(fits), "the approval queue scrolls horizontally at 1440 px"

    page.click(f"a.decide-link[href*='/{approval.pk}/decide/']")
    page.wait_for_selector("#decision-form")
    summary = page.inner_text("#approval-summary")
    assert intent["id"] in summary and "ORD-A-1" in summary and "500.00 USD" in summary
    assert "Return of ORD-A-1" in summary and "sam" in summary
    assert "refund.create" in page.inner_text("#approval-history")
    job.seen("review")

    page.goto(f"{live_server.url}/admin/approvals/approvalrequest/?status__exact=pending")
    page.check(f"input.action-select[value='{approval.pk}']")
    page.check(f"input.action-select[value='{second.pk}']")
    page.select_option("select[name=action]", "approve_selected")
    page.click("#changelist-actions-wrapper button[type=submit]")
    page.fill("textarea[name=reason]", "Returns received in the warehouse")
    job.seen("bulk-confirm")
    page.click("#submit")
    page.wait_for_selector("text=is now executed")
    for a in (approval, second):
        a.refresh_from_db()
        assert a.status == ApprovalRequest.Status.EXECUTED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    job.seen("done")
    assert job.count <= 3, job.paths


def test_finance_requests_an_adjustment_from_the_balances_page_in_major_units(
    page, live_server, api, merchant, screens
):
    pay(api, make_card(merchant), amount=5000, currency="eur")
    login(page, live_server, staff_user("finance", "fay"))
    job = screens("finance-adjustment")
    page.click("a[href$='/admin/ledger/account/']")
    page.wait_for_selector("#request-adjustment")
    job.seen("balances")
    page.locator("a.adjust-link").first.click()
    page.wait_for_selector("input[name=amount]")
    page.select_option("select[name=currency]", "JPY")
    assert page.get_attribute("input[name=amount]", "data-currency") == "JPY"  # the code beside follows
    page.select_option("select[name=currency]", "EUR")
    assert page.get_attribute("input[name=amount]", "data-currency") == "EUR"
    page.fill("input[name=amount]", "12.50")
    page.fill("textarea[name=reason]", "Goodwill credit for the late delivery")
    job.seen("form")
    page.click("#submit")
    sentence = page.inner_text("#review-sentence")
    assert "Credit 12.50 EUR to" in sentence
    page.click("#submit")
    page.wait_for_selector("text=waiting for approval")
    approval = ApprovalRequest.objects.get(kind="balance_adjustment")
    assert approval.payload["amount"] == 1250 and approval.payload["currency"].upper() == "EUR"
    assert f"Adjustment of 12.50 EUR is waiting for approval ({approval.public_id})" in page.inner_text(
        "body"
    )
    job.seen("done")
    assert job.count <= 3, job.paths


def test_compliance_exports_the_last_30_days_in_three_clicks(
    page, live_server, merchant, tmp_path, settings, screens
):
    settings.MEDIA_ROOT = tmp_path / "media"
    for i in range(5):
        audit_record(
            actor=Actor.system("seed"), action="settings.updated", merchant=merchant, object_id=f"x_{i}"
        )
    login(page, live_server, staff_user("compliance", "cleo"))
    job = screens("compliance-export")
    clicks = 0
    page.click("text=Compliance exports")
    clicks += 1
    job.seen("exports")
    page.click("a.preset-link[data-preset='30d']")
    clicks += 1
    assert page.input_value("input[name=date_from_0]")
    job.seen("form")
    page.click("button[name=_save]")
    clicks += 1
    page.wait_for_url(re.compile(r".*/admin/audit/auditexport/$"))
    export = AuditExport.objects.get()
    assert export.status == AuditExport.Status.COMPLETED and export.row_count >= 5
    assert export.date_from is not None and (export.date_to - export.date_from).days == 30
    assert clicks <= 3
    page.click(f"#result_list a:has-text('{export.public_id}')")
    page.wait_for_selector("#export-status")
    assert "rows, files ready" in page.inner_text("#export-status")
    job.seen("status")


FITS = "(() => { const t = document.querySelector('#result_list'); return !t || t.scrollWidth <= t.parentElement.clientWidth + 1; })()"


@pytest.mark.parametrize(
    "role, path",
    [
        ("support", "/admin/intents/paymentintent/"),
        ("support", "/admin/refunds/refund/"),
        ("finance", "/admin/refunds/refundapprovalqueue/"),
        ("finance", "/admin/approvals/approvalrequest/?status__exact=pending"),
        ("finance", "/admin/payouts/payout/"),
    ],
)
def test_the_main_queues_fit_1440_px_without_scrolling(page, live_server, api, merchant, role, path, screens):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=100)
    support = staff_user("support", "sam")
    _waiting_refund(api, merchant, support, amount=30_000, order_id="ORD-Q-1")
    login(page, live_server, staff_user(role, f"{role[:3]}x"))
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector("#changelist, #result_list, .changelist", state="attached")
    screens("queue-" + path.strip("/").replace("/", "-").split("?")[0]).seen("list")
    assert page.evaluate(FITS), f"{path} scrolls horizontally at 1440 px"


def test_the_dashboard_shows_volume_per_currency_and_links_each_card(
    page, live_server, api, merchant, screens
):
    pay(api, make_card(merchant), amount=2000, currency="eur")
    pay(api, make_card(merchant), amount=250_00)
    pay(api, make_card(merchant, "4000000000000002"), amount=999)  # declined
    login(page, live_server, staff_user("finance", "fay"))
    cards = page.locator("#dashboard-currencies [data-currency]")
    assert sorted(cards.all_inner_texts()) == ["20.00 EUR", "250.00 USD"]
    assert page.locator("canvas.chart").count() >= 2
    # The rate per day and disputes per day are drawn by unfold's Chart.js (today: 2 of 3 approved).
    drawn = "sel => { const c = Chart.getChart(document.querySelector(sel)); return c && c.data.datasets.map(d => d.data); }"
    assert page.evaluate(drawn, "#dashboard-rate-chart canvas") == [[66.7]]
    assert page.evaluate(drawn, "#dashboard-disputes-chart canvas") == [[0], [0]]
    y_axis = (
        "sel => { const y = Chart.getChart(document.querySelector(sel)).scales.y; return [y.min, y.max]; }"
    )
    assert page.evaluate(y_axis, "#dashboard-rate-chart canvas") == [0, 100]  # a rate, not a zoom on 63-71 %
    screens("dashboard").seen("finance")
    page.locator("#dashboard-currencies a", has_text="EUR").first.click()
    page.wait_for_url(re.compile(r".*/admin/intents/paymentintent/\?.*currency=EUR"))
    assert "20.00 EUR" in page.inner_text("#result_list") and "250.00 USD" not in page.inner_text(
        "#result_list"
    )
