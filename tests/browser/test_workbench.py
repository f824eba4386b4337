"""Support's daily job on the payment workbench, in a real browser: find a payment by order id,
email or last4, refund part of it in major units with a reason, see the honest result — in three
screens or fewer. Screenshots of each screen go to test-artifacts/."""

import re

import pytest

from apps.audit.models import AuditEntry
from apps.merchants.models import MerchantSettings
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.browser.test_back_office import login
from tests.intents.helpers import make_card, pay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _search(page, term):
    page.fill("#global-search", term)
    page.press("#global-search", "Enter")
    page.wait_for_url(re.compile(r".*/admin/intents/paymentintent/\d+/change/"))


def test_support_refunds_3_00_of_a_20_00_eur_payment_as_300_minor_units_in_three_screens(
    page, live_server, api, merchant, screens
):
    intent = pay(
        api, make_card(merchant), amount=2000, currency="eur", metadata={"order_id": "ORD-EUR-7"}
    ).json()
    support = staff_user("support", "sam")
    login(page, live_server, support)
    job = screens("support-refund")
    job.seen("dashboard")

    _search(page, "ORD-EUR-7")
    assert page.inner_text("#workbench-amount") == "20.00 EUR"
    assert page.inner_text("#workbench-refundable") == "20.00 EUR"
    assert page.inner_text("#workbench-order") == "ORD-EUR-7"
    # The title keeps the id's case.
    assert intent["id"] in page.inner_text("#header-inner, header, body")
    assert "P" + intent["id"][1:] not in page.inner_text("body")
    job.seen("workbench")

    page.click("#action-refund")
    panel = page.locator("#panel-refund")
    panel.wait_for(state="visible")
    assert "EUR" in panel.inner_text() and "At most 20.00 EUR refundable" in panel.inner_text()
    panel.locator("input[name=amount]").fill("3.00")
    panel.locator("select[name=refund_reason]").select_option("product_return")
    panel.locator("textarea[name=reason]").fill("One of the two books came back (ticket 881)")
    job.seen("refund-form")
    panel.locator("button[type=submit]").click()

    page.wait_for_selector("#review-sentence")
    sentence = page.inner_text("#review-sentence")
    assert "Refund 3.00 EUR of 20.00 EUR refundable" in sentence
    assert not Refund.objects.exists()  # nothing happened before the confirm step
    job.seen("confirm")
    page.click("#submit")

    page.wait_for_url(re.compile(r".*/admin/intents/paymentintent/\d+/change/$"))
    refund = Refund.objects.get(payment_intent__public_id=intent["id"])
    assert (refund.amount, refund.currency, refund.status) == (300, "eur", Refund.Status.SUCCEEDED) or (
        refund.amount, refund.currency.upper(), refund.status) == (300, "EUR", Refund.Status.SUCCEEDED)  # fmt: skip
    page.wait_for_selector(f"text=Refund {refund.public_id} of 3.00 EUR succeeded.")
    assert page.inner_text("#workbench-refundable") == "17.00 EUR"
    assert page.locator("[data-kind=refund]").count() == 1
    assert "One of the two books came back" in page.inner_text("#panel-timeline")
    job.seen("result")
    assert job.count <= 3, job.paths
    assert AuditEntry.objects.get(action="refund.create", object_id=refund.public_id).actor_label == "sam"


def test_support_finds_a_payment_by_email_and_by_last4(page, live_server, api, merchant):
    from apps.vault.models import Customer

    customer = Customer.objects.create(merchant=merchant, livemode=False, email="ana@example.com")
    pay(api, make_card(merchant, "4000056655665556"), amount=1234, customer=customer.public_id)
    login(page, live_server, staff_user("support", "sam"))
    _search(page, "ana@example.com")
    assert page.inner_text("#workbench-amount") == "12.34 USD"
    page.goto(f"{live_server.url}/admin/")
    _search(page, "5556")
    assert "•••• 5556" in page.inner_text("#workbench-facts")


def test_a_refund_above_the_threshold_says_it_waits_for_approval(page, live_server, api, merchant):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=10_000)
    pay(api, make_card(merchant), amount=60_000, metadata={"order_id": "ORD-BIG-2"})
    login(page, live_server, staff_user("support", "sam"))
    _search(page, "ORD-BIG-2")
    page.click("#action-refund")
    page.fill("#panel-refund input[name=amount]", "550")
    page.fill("#panel-refund textarea[name=reason]", "Customer returned the whole order")
    page.click("#panel-refund button[type=submit]")
    assert "Refund 550.00 USD of 600.00 USD refundable" in page.inner_text("#review-sentence")
    page.click("#submit")
    page.wait_for_selector("text=waiting for approval")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.REQUIRES_APPROVAL
    message = page.inner_text(".messagelist, #messages, body")
    assert "Refund of 550.00 USD is waiting for approval (apr_" in message
    assert "succeeded" not in message.split("waiting for approval")[0][-80:]


def test_a_refund_over_the_refundable_amount_names_it_beside_the_field(page, live_server, api, merchant):
    pay(api, make_card(merchant), amount=2000, currency="eur", metadata={"order_id": "ORD-EUR-8"})
    login(page, live_server, staff_user("support", "sam"))
    _search(page, "ORD-EUR-8")
    page.click("#action-refund")
    page.fill("#panel-refund input[name=amount]", "25.00")
    page.fill("#panel-refund textarea[name=reason]", "Too much on purpose")
    page.click("#panel-refund button[type=submit]")
    page.wait_for_selector("text=At most 20.00 EUR refundable; 25.00 EUR is more.")
    assert not Refund.objects.exists()


def test_a_risk_analyst_sees_no_refund_button_and_a_styled_refusal(page, live_server, api, merchant, screens):
    intent = pay(api, make_card(merchant), amount=2000, metadata={"order_id": "ORD-R-1"}).json()
    login(page, live_server, staff_user("risk", "rita"))
    _search(page, "ORD-R-1")
    assert page.locator("#action-refund").count() == 0
    pk = re.search(r"/paymentintent/(\d+)/change/", page.url).group(1)
    page.goto(f"{live_server.url}/admin/intents/paymentintent/{pk}/refund/")
    assert page.locator("#refusal").count() == 1
    text = page.inner_text("#refusal")
    assert "support" in text and "Refund payment" in text
    # The page is the back office's (sidebar and all), not a bare "403 Forbidden".
    assert page.locator("#nav-sidebar, nav, aside").count() >= 1
    screens("refusal").seen("403")
    assert not Refund.objects.filter(payment_intent__public_id=intent["id"]).exists()
