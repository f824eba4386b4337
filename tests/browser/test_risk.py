"""A risk analyst's day in a real browser: approve one review, refund another as fraud, and
override a block with a reason that a second analyst approves."""

import re

import pytest

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.refunds.models import Refund
from apps.risk.models import Override, Review, RiskSettings
from tests.admin.staff import PASSWORD, staff_user
from tests.intents.helpers import make_card, pay
from tests.risk.conftest import _clean_risk_state, rules  # noqa: F401  (risk's fixtures, for this module)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def run_action(page, row_text, action, reason):
    page.locator("#result_list tbody tr", has_text=row_text).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("#changelist-actions-wrapper button[type=submit]")
    page.fill("textarea[name=reason]", reason)
    page.click("form button[type=submit]:has-text('Confirm')")


def test_risk_analysts_review_queue_and_override_with_a_second_pair_of_eyes(
    page,
    live_server,
    api,
    merchant,
    rules,  # noqa: F811
    screens,
):
    RiskSettings.objects.create(merchant=merchant, review_capture="capture", override_approval_amount=50_000)
    rules(("review", ":amount: > 100 and :amount: <= 50000"), ("block", ":amount: > 50000"))
    good = pay(api, make_card(merchant), amount=1500).json()
    bad = pay(api, make_card(merchant), amount=2500).json()
    blocked = pay(api, make_card(merchant), amount=90_000)
    assert blocked.status_code == 402
    blocked_id = blocked.json()["error"]["payment_intent"]["id"]

    rita = staff_user("risk", "rita")
    login(page, live_server, rita)
    job = screens("risk-review")
    page.click("text=Review queue")
    page.wait_for_selector(f"text={good['id']}")
    assert bad["id"] in page.content() and "review: :amount: &gt; 100" in page.content()
    job.seen("queue")

    run_action(page, good["id"], "approve_reviews", "Known customer, address matches the order history")
    page.wait_for_selector("text=Approved 1 review(s).")
    job.seen("approved")
    # Risk's daily job (a held payment reviewed from the queue) takes at most three screens.
    assert job.count <= 3, job.paths
    run_action(
        page, bad["id"], "refund_reviews_as_fraud", "Cardholder confirmed they did not make this purchase"
    )
    page.wait_for_selector("text=Refunded as fraud 1 review(s).")
    assert Review.objects.get(payment_intent__public_id=good["id"]).closed_reason == "approved"
    assert Review.objects.get(payment_intent__public_id=bad["id"]).closed_reason == "refunded_as_fraud"
    assert Refund.objects.get(payment_intent__public_id=bad["id"]).reason == "fraudulent"

    # Override the block: above 500.00 USD it waits for another analyst.
    page.goto(f"{live_server.url}/admin/risk/override/add/")
    page.select_option("select[name=merchant]", str(merchant.pk))
    page.select_option("select[name=kind]", "payment")
    page.fill("input[name=value]", blocked_id)
    page.select_option("select[name=effect]", "allow")
    page.fill("textarea[name=reason]", "Customer called, identity verified with the bank")
    page.click("[name=_save]")
    page.wait_for_selector("text=waits for a second analyst")
    override = Override.objects.get()
    assert override.status == "pending_approval"
    approval = ApprovalRequest.objects.get(target_id=override.public_id)
    page.context.clear_cookies()

    ravi = staff_user("risk", "ravi")
    login(page, live_server, ravi)
    page.goto(f"{live_server.url}/admin/approvals/approvalrequest/{approval.pk}/decide/")
    page.wait_for_selector("#decision-form")
    assert "identity verified with the bank" in page.content()
    page.fill("textarea[name=reason]", "Agree: bank confirmation attached to ticket 5521")
    page.click("#approve")
    page.wait_for_selector("text=is now executed")
    override.refresh_from_db()
    assert override.status == "active" and override.approved_by == "ravi"
    entry = AuditEntry.objects.get(action="risk.override.activated")
    assert entry.before["action"] == "block" and entry.actor_label == "ravi"

    retried = api.post(f"/v1/payment_intents/{blocked_id}/confirm", {"payment_method": make_card(merchant).public_id},
                       format="json")  # fmt: skip
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded"
