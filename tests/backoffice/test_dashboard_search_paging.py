"""The back office's dashboard page, global search, sidebar navigation and paging for big tables."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.backoffice.money import money as format_money
from apps.backoffice.navigation import sidebar_navigation
from apps.backoffice.paging import EstimatedCountPaginator
from apps.backoffice.search import global_search
from apps.intents.models import Charge, PaymentIntent
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def test_money_is_formatted_with_the_currency_exponent():
    assert format_money(123456, "USD") == "1,234.56 USD"
    assert format_money(500, "JPY") == "500 JPY"
    assert format_money(1234, "KWD") == "1.234 KWD"
    assert format_money(-5, "EUR") == "-0.05 EUR"


def test_dashboard_queries_are_constant(payments, client, api, merchant):
    client.force_login(staff_user("finance"))
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("admin:index") + "?period=7d").status_code == 200
    for _ in range(5):
        pay(api, make_card(merchant), amount=700)
    with CaptureQueriesContext(connection) as second:
        page = client.get(reverse("admin:index") + "?period=7d")
    assert len(second.captured_queries) == len(first.captured_queries)
    assert "Authorization rate" in page.content.decode()


@pytest.mark.parametrize(
    "term, kind",
    [("ORD-77", ["payment"]), ("ann@example.com", ["payment", "customer"]), ("4444", ["payment", "charge"])],
)
def test_global_search_finds_by_order_email_last4(payments, term, kind):
    # An email or a last4 finds the payments first (what support is after), then the customer or charge.
    hits = global_search(term, user=staff_user("support"))
    assert [h.kind for h in hits] == kind


def test_global_search_by_public_ids_and_gateway_reference(payments):
    support = staff_user("support")
    ok = payments["ok"]
    charge = Charge.objects.get(public_id=ok["latest_charge"])
    assert [h.public_id for h in global_search(ok["id"], user=support)] == [ok["id"]]
    assert [h.public_id for h in global_search(charge.public_id, user=support)] == [charge.public_id]
    assert [h.public_id for h in global_search(charge.gateway_reference, user=support)] == [charge.public_id]
    assert [h.public_id for h in global_search(payments["customer"].public_id, user=support)] == [
        payments["customer"].public_id
    ]
    assert global_search("no-such-thing", user=support) == []


def test_global_search_respects_permissions(payments):
    finance = staff_user("finance")  # may view payments, not payment methods' customers' cards
    assert global_search("ann@example.com", user=finance)  # finance views customers
    risk = staff_user("risk")
    assert global_search("ORD-77", user=risk)


def test_global_search_page_opens_a_single_hit(payments, client):
    client.force_login(staff_user("support"))
    response = client.get(reverse("admin:global_search"), {"q": "ORD-77"})
    pk = PaymentIntent.objects.get(public_id=payments["ok"]["id"]).pk
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:intents_paymentintent_change", args=[pk])
    listed = client.get(reverse("admin:global_search"), {"q": "nothing-here"})
    assert listed.status_code == 200 and "Nothing found" in listed.content.decode()


def test_sidebar_shows_only_what_the_role_may_view(rf):
    def titles(role):
        request = rf.get("/admin/")
        request.user = staff_user(role)
        return {item["title"] for group in sidebar_navigation(request) for item in group["items"]}

    support, compliance = titles("support"), titles("compliance")
    assert {"Payment intents", "Approval queue", "Customers"} <= support
    # Support reads the audit log but neither exports it nor sees keys.
    assert "Audit log" in support
    assert "Compliance exports" not in support and "API keys" not in support
    assert {"Audit log", "Compliance exports", "Configuration history"} <= compliance
    groups = {g["title"] for g in sidebar_navigation(_request(rf, "admin"))}
    assert {
        "Payments",
        "Refunds",
        "Customers",
        "Balances & payouts",
        "Webhooks",
        "Audit",
        "Settings",
    } <= groups


def _request(rf, role):
    request = rf.get("/admin/")
    request.user = staff_user(role)
    return request


def test_estimated_count_paginator(payments):
    qs = PaymentIntent.objects.order_by("-pk")
    assert EstimatedCountPaginator(qs, 50).count == qs.count()  # small table: exact
    filtered = qs.filter(status="succeeded")
    assert EstimatedCountPaginator(filtered, 50).count == filtered.count()


def test_keyset_pages(payments, client):
    from apps.backoffice.paging import KeysetChangeList
    from apps.intents.admin import PaymentIntentAdmin

    client.force_login(staff_user("support"))
    newest = PaymentIntent.objects.order_by("-pk").first()
    original = PaymentIntentAdmin.get_changelist
    PaymentIntentAdmin.get_changelist = lambda self, request, **kw: KeysetChangeList
    try:
        page = client.get(
            reverse("admin:intents_paymentintent_changelist"), {"after": newest.pk}
        ).content.decode()
    finally:
        PaymentIntentAdmin.get_changelist = original
    assert newest.public_id not in page
    assert PaymentIntent.objects.order_by("pk").first().public_id in page
