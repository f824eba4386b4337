"""Customer and merchant pages get the workbench's header: who they are, their status, totals per
currency from the apps that own them (payments, balances, payouts, disputes), and the one-click
actions this role may take; each action works and a role without it sees no button."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.merchants.models import Merchant
from apps.vault.models import Customer
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, make_customer, pay
from tests.ledger.factories import fund

pytestmark = pytest.mark.django_db


def _header(page: str) -> str:
    return page.split('id="object-header"')[1].split('id="content-main"')[0]


def _facts(page: str) -> dict[str, str]:
    header = _header(page)
    return {
        dt: re.sub(r"<[^>]+>", "", dd).strip()
        for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", header, flags=re.S)
    }


@pytest.fixture
def customer_with_payments(api, merchant):
    customer = make_customer(merchant, email="ann@example.com")
    card = make_card(merchant, customer=customer)
    pay(api, card, amount=2000, currency="eur", customer=customer.public_id)
    last = pay(api, card, amount=1500, currency="usd", customer=customer.public_id).json()
    api.post("/v1/refunds", {"payment_intent": last["id"], "amount": 500}, format="json")
    return customer, last


def test_the_customer_page_sums_payments_per_currency_and_offers_support_a_refund(
    client, customer_with_payments
):
    customer, last = customer_with_payments
    client.force_login(staff_user("support", "sue"))
    page = client.get(reverse("admin:vault_customer_change", args=[customer.pk])).content.decode()
    facts = _facts(page)
    assert "ann@example.com" in _header(page) and "active" in _header(page)
    assert facts["Paid"] == "20.00 EUR · 15.00 USD (2 payments)"
    assert facts["Refunded"] == "5.00 USD"
    assert last["id"] in facts["Latest payment"] and "15.00 USD" in facts["Latest payment"]
    assert "visa •••• 4242" in facts["Payment methods"]
    refund_url = reverse("admin:intents_paymentintent_refund", args=[_pk(last["id"])])
    assert f'href="{refund_url}"' in _header(page) and 'id="action-refund-latest"' in page
    assert 'id="action-soft-delete"' in page  # support may soft-delete customers
    # The "Paid" link lists exactly this customer's payments.
    listing = client.get(reverse("admin:intents_paymentintent_changelist"), {"q": customer.public_id})
    assert last["id"] in listing.content.decode()


def _pk(public_id):
    from apps.intents.models import PaymentIntent

    return PaymentIntent.objects.get(public_id=public_id).pk


def test_a_role_without_refund_or_delete_sees_the_facts_but_no_such_button(client, customer_with_payments):
    customer, _ = customer_with_payments
    client.force_login(staff_user("compliance", "cora"))
    page = client.get(reverse("admin:vault_customer_change", args=[customer.pk])).content.decode()
    assert "Paid" in _facts(page)
    assert 'id="action-refund-latest"' not in page and 'id="action-soft-delete"' not in page
    refused = client.get(reverse("admin:vault_customer_soft_delete", args=[customer.pk]))
    assert refused.status_code == 403 and "support" in refused.content.decode()


def test_soft_delete_from_the_customer_page_asks_a_reason_and_is_audited(client, customer_with_payments):
    customer, _ = customer_with_payments
    client.force_login(staff_user("support", "sue"))
    url = reverse("admin:vault_customer_soft_delete", args=[customer.pk])
    assert "Reason" in client.get(url).content.decode()
    assert client.post(url, {"reason": "GDPR erasure request #88"}).status_code == 302
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.deleted_at is not None
    assert AuditEntry.objects.filter(object_id=customer.public_id, reason="GDPR erasure request #88").exists()
    page = client.get(reverse("admin:vault_customer_change", args=[customer.pk])).content.decode()
    assert "deleted" in _header(page) and 'id="action-soft-delete"' not in page


def test_the_merchant_page_shows_balances_payouts_and_finance_actions(client, api, merchant):
    fund(merchant, 12_345, currency="USD")
    fund(merchant, 500, currency="JPY")
    pay(api, make_card(merchant), amount=999, currency="usd", capture_method="manual")
    client.force_login(staff_user("finance", "fin"))
    page = client.get(reverse("admin:merchants_merchant_change", args=[merchant.pk])).content.decode()
    facts = _facts(page)
    assert merchant.name in _header(page) and "active" in _header(page)
    assert facts["Available (test)"] == "500 JPY · 123.45 USD"
    assert facts["Awaiting capture"] == "1"
    assert facts["Payouts on their way"].startswith("0")
    assert facts["Disputes awaiting a response"] == "0"
    assert 'id="action-adjust"' in page  # finance requests adjustments
    assert 'id="action-suspend"' not in page  # only who may change merchants


def test_an_admin_suspends_and_reactivates_a_merchant_with_a_reason(client, merchant):
    client.force_login(staff_user("admin", "ada"))
    page = client.get(reverse("admin:merchants_merchant_change", args=[merchant.pk])).content.decode()
    assert 'id="action-suspend"' in page
    url = reverse("admin:merchants_merchant_status", args=[merchant.pk, "suspend"])
    assert client.post(url, {"reason": "chargeback ratio over 1% for 3 months"}).status_code == 302
    assert Merchant.objects.get(pk=merchant.pk).status == Merchant.Status.SUSPENDED
    page = client.get(reverse("admin:merchants_merchant_change", args=[merchant.pk])).content.decode()
    assert 'id="action-reactivate"' in page and "suspended" in _header(page)
    url = reverse("admin:merchants_merchant_status", args=[merchant.pk, "reactivate"])
    assert client.post(url, {"reason": "ratio back under 0.5%"}).status_code == 302
    assert Merchant.objects.get(pk=merchant.pk).status == Merchant.Status.ACTIVE
    assert AuditEntry.objects.filter(object_id=merchant.public_id, action="merchant.suspended").exists()


def test_header_queries_do_not_grow_with_the_customers_payments(client, api, merchant):
    customer = make_customer(merchant, email="bob@example.com")
    card = make_card(merchant, customer=customer)
    pay(api, card, amount=100, customer=customer.public_id)
    client.force_login(staff_user("support", "sue"))
    url = reverse("admin:vault_customer_change", args=[customer.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for amount in (200, 300, 400, 500):
        pay(api, card, amount=amount, customer=customer.public_id, currency="eur")
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_payout_page_has_its_header_and_its_actions_per_role(client, merchant):
    from apps.audit.services import Actor
    from apps.payouts.models import Payout
    from apps.payouts.services import payout_create
    from tests.payouts.factories import us_bank

    fund(merchant, 50_000, currency="USD")
    us_bank(merchant)
    merchant.settings.payout_approval_threshold = 10_000
    merchant.settings.save()

    payout = payout_create(
        merchant=merchant, livemode=False, amount=40_000, currency="USD", actor=Actor.system("t")
    )
    assert payout.approval == Payout.Approval.REQUIRED
    url = reverse("admin:payouts_payout_change", args=[payout.pk])
    client.force_login(staff_user("finance", "fin"))
    page = client.get(url).content.decode()
    assert "400.00 USD" in _header(page) and payout.approval_request_id in _facts(page)["Approval"]
    assert 'id="action-approve"' in page and 'id="action-reject"' in page
    client.force_login(staff_user("compliance", "cora"))  # views payouts, acts on none
    page = client.get(url).content.decode()
    assert (
        "400.00 USD" in _header(page)
        and 'id="action-approve"' not in page
        and 'id="action-cancel"' not in page
    )


def test_the_payout_page_shows_its_amount_once_formatted_never_as_bare_minor_units(client, merchant):
    from apps.audit.services import Actor
    from apps.payouts.services import payout_create
    from tests.payouts.factories import us_bank

    fund(merchant, 50_000, currency="USD")
    us_bank(merchant)
    payout = payout_create(
        merchant=merchant, livemode=False, amount=12_345, currency="USD", actor=Actor.system("t")
    )
    client.force_login(staff_user("finance", "fin"))
    page = client.get(reverse("admin:payouts_payout_change", args=[payout.pk])).content.decode()
    main = page.split('id="content-main"')[1]
    assert "123.45 USD" in main and not re.search(r">\s*12345\s*<", main)
    assert main.count("123.45 USD") == 2  # the header and one Amount row (once, not twice)
