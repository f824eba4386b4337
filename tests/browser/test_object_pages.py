"""Customer, merchant and payout pages in a real browser: each header's totals in major units with
their currency and the one-click actions of the viewer's role; finance approves a large payout in
three screens or fewer; a payout schedule's minimums are typed per currency in major units; the
payment workbench shows the webhook events with their deliveries. Screenshots in test-artifacts/."""

import re

import pytest

from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor
from apps.intents.models import PaymentIntent
from apps.payouts.models import Payout, PayoutSchedule
from apps.payouts.services import payout_create, payout_schedule_get
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_back_office import login
from tests.intents.helpers import make_card, make_customer, pay
from tests.ledger.factories import fund
from tests.payouts.factories import us_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_support_refunds_a_customers_latest_payment_from_the_customer_page(
    page, live_server, api, merchant, screens
):
    customer = make_customer(merchant, email="ann@example.com")
    card = make_card(merchant, customer=customer)
    pay(api, card, amount=2000, currency="eur", customer=customer.public_id)
    latest = pay(api, card, amount=1500, currency="eur", customer=customer.public_id).json()
    login(page, live_server, staff_user("support", "sam"))
    job = screens("support-customer-refund")
    page.goto(f"{live_server.url}/admin/vault/customer/?q=ann%40example.com")
    page.click(f"text={customer.public_id}")
    page.wait_for_selector("#object-header")
    facts = page.inner_text("#object-facts")
    assert "35.00 EUR (2 payments)" in facts and latest["id"] in facts
    assert page.inner_text("#object-amount") == "ann@example.com"
    job.seen("customer")
    page.click("#action-refund-latest")
    page.fill("input[name=amount]", "4.50")
    page.fill("textarea[name=reason]", "Late delivery, goodwill (ticket 912)")
    job.seen("refund-form")
    page.click("#submit")
    assert "Refund 4.50 EUR of 15.00 EUR refundable" in page.inner_text("#review-sentence")
    page.click("#submit")
    page.wait_for_selector("text=of 4.50 EUR succeeded")
    refund = Refund.objects.get(payment_intent__public_id=latest["id"])
    assert refund.amount == 450 and refund.status == Refund.Status.SUCCEEDED
    job.seen("result")


def test_finance_approves_a_large_payout_in_three_screens(page, live_server, merchant, screens):
    fund(merchant, 60_000, currency="USD")
    us_bank(merchant)
    merchant.settings.payout_approval_threshold = 10_000
    merchant.settings.save()
    payout = payout_create(
        merchant=merchant, livemode=False, amount=45_000, currency="USD", actor=Actor.system("t")
    )
    assert payout.approval == Payout.Approval.REQUIRED
    login(page, live_server, staff_user("finance", "fay"))
    job = screens("finance-payout")
    page.goto(f"{live_server.url}/admin/payouts/payout/?approval__exact=required")
    assert "450.00 USD" in page.inner_text("#result_list")
    job.seen("queue")
    page.click(f"a[href$='/{payout.pk}/act/approve/']")  # the queue's Actions column
    page.fill("textarea[name=reason]", "Invoice 2026-114 checked against the contract")
    job.seen("approve-form")
    page.click("#submit")
    page.wait_for_selector(f"text=approval request {payout.approval_request_id} is now")
    job.seen("done")
    approval = ApprovalRequest.objects.get(public_id=payout.approval_request_id)
    assert approval.status in (ApprovalRequest.Status.APPROVED, ApprovalRequest.Status.EXECUTED)
    assert Payout.objects.get(pk=payout.pk).approval == Payout.Approval.APPROVED
    # The payout's own page says so in its header, with no approve button left.
    page.goto(f"{live_server.url}/admin/payouts/payout/{payout.pk}/change/")
    assert page.inner_text("#object-amount") == "450.00 USD"
    assert "approved" in page.inner_text("#object-facts") and page.locator("#action-approve").count() == 0
    page.screenshot(path=str(ARTIFACTS / "finance-payout-page.png"), full_page=True)
    assert job.count <= 3, job.paths


def test_the_merchant_page_shows_balances_and_an_admin_suspends_it(page, live_server, api, merchant, screens):
    fund(merchant, 12_345, currency="USD")
    fund(merchant, 700, currency="JPY")
    login(page, live_server, staff_user("admin", "ada"))
    job = screens("admin-merchant")
    page.goto(f"{live_server.url}/admin/merchants/merchant/{merchant.pk}/change/")
    facts = page.inner_text("#object-facts")
    assert "700 JPY · 123.45 USD" in facts
    assert page.inner_text("#object-amount") == merchant.name
    job.seen("merchant")
    # The maximum authorization is typed in the merchant's currency; the saved value is minor units.
    page.fill("input[name='settings-0-max_authorization_amount']", "2500.00")
    page.click("button[name=_continue]")
    page.wait_for_selector("text=was changed successfully")
    merchant.settings.refresh_from_db()
    assert merchant.settings.max_authorization_amount == 250_000
    assert page.input_value("input[name='settings-0-max_authorization_amount']") == "2500.00"
    page.click("#action-suspend")
    page.fill("textarea[name=reason]", "Chargeback ratio above 1% for three months")
    page.click("#submit")
    page.wait_for_selector("#action-reactivate")
    assert "suspended" in page.inner_text("#object-header").lower()
    job.seen("suspended")


def test_payout_minimums_are_typed_per_currency_in_major_units(page, live_server, merchant, screens):
    us_bank(merchant)
    us_bank(merchant, "000123456780", currency="JPY")
    schedule = payout_schedule_get(merchant=merchant, livemode=False)
    login(page, live_server, staff_user("admin", "ada"))
    job = screens("payout-schedule")
    page.goto(f"{live_server.url}/admin/payouts/payoutschedule/{schedule.pk}/change/")
    assert page.get_attribute("input[name=minimum_JPY]", "data-currency") == "JPY"
    page.select_option("select[name=interval]", "daily")
    page.fill("input[name=minimum_USD]", "50.00")
    page.fill("input[name=minimum_JPY]", "500")
    page.select_option("select[name=add_currency]", "KWD")
    page.fill("input[name=add_minimum]", "5.125")
    job.seen("form")
    page.click("button[name=_save]")
    page.wait_for_url(re.compile(r".*/admin/payouts/payoutschedule/$"))
    listing = page.inner_text("#result_list")
    assert "50.00 USD" in listing and "500 JPY" in listing and "5.125 KWD" in listing
    job.seen("saved")
    assert PayoutSchedule.objects.get(pk=schedule.pk).minimum_amounts == {
        "JPY": 500,
        "KWD": 5125,
        "USD": 5000,
    }


def test_the_workbench_timeline_shows_webhook_events_and_their_deliveries(page, live_server, api, merchant):
    from apps.webhooks import services as webhook_services
    from apps.webhooks.models import Event
    from tests.webhooks.factories import fan_out, make_endpoint
    from tests.webhooks.helpers import receiver_server

    with receiver_server() as receiver:
        endpoint, _ = make_endpoint(merchant, receiver.url)
        receiver.script.append(500)  # the first delivery fails once; the live server fans out at once
        body = pay(api, make_card(merchant), amount=2000, currency="eur").json()
        event = Event.objects.filter(object_id=body["id"], type="payment_intent.succeeded").get()
        for delivery in fan_out(event):  # (when the fan-out has not run yet)
            webhook_services.delivery_send(delivery_id=delivery.pk)
    intent = PaymentIntent.objects.get(public_id=body["id"])
    login(page, live_server, staff_user("support", "sam"))
    page.goto(f"{live_server.url}/admin/intents/paymentintent/{intent.pk}/change/")
    entry = page.locator("[data-kind=webhook]", has_text=event.public_id)
    assert entry.count() == 1
    text = page.inner_text("#panel-timeline")
    assert f"{endpoint.public_id} (127.0.0.1):" in text
    assert "last HTTP 500" in text and "delivered after 1 attempt, last HTTP 200" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "support-workbench-webhooks.png"), full_page=True)
