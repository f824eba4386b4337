"""Dashboard aggregates, global search, sidebar navigation and paging for big tables."""

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.backoffice.money import money as format_money
from apps.backoffice.navigation import sidebar_navigation
from apps.backoffice.paging import EstimatedCountPaginator
from apps.backoffice.search import global_search
from apps.intents.models import Charge, PaymentIntent
from apps.reporting.selectors import dashboard_figures
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, make_customer, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def payments(api, merchant):
    customer = make_customer(merchant, email="ann@example.com")
    ok = pay(api, make_card(merchant, "5555555555554444"), amount=2500, metadata={"order_id": "ORD-77"},
             customer=customer.public_id).json()  # fmt: skip
    declined = pay(api, make_card(merchant, "4000000000009995"), amount=900).json()["error"]["payment_intent"]
    eur = pay(api, make_card(merchant), amount=1234, currency="eur").json()
    api.post("/v1/refunds", {"payment_intent": ok["id"], "amount": 500}, format="json")
    return {"ok": ok, "declined": declined, "eur": eur, "customer": customer}


def test_money_is_formatted_with_the_currency_exponent():
    assert format_money(123456, "USD") == "1,234.56 USD"
    assert format_money(500, "JPY") == "500 JPY"
    assert format_money(1234, "KWD") == "1.234 KWD"
    assert format_money(-5, "EUR") == "-0.05 EUR"


def test_dashboard_figures(payments, merchant, other_merchant):
    figures = dashboard_figures(period="today")
    volume = {row["currency"]: (row["amount"], row["count"]) for row in figures.volume_by_currency}
    assert volume == {"USD": (2500, 1), "EUR": (1234, 1)}
    assert (figures.attempts, figures.authorized) == (3, 2)
    assert figures.authorization_rate == pytest.approx(66.7)
    assert figures.declines == [{"reason": "insufficient_funds", "count": 1}]
    assert figures.refunds_by_currency == [{"currency": "USD", "amount": 500, "count": 1}]
    assert dashboard_figures(period="30d", merchant_id=other_merchant.pk).volume_by_currency == []
    # One aggregate row per metric, not one per payment.
    from apps.reporting.selectors import aggregate_metrics, period_start

    rows = aggregate_metrics(period_start("today"))
    assert sum(1 for r in rows if r["metric"] == "charge_attempts") == 1


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
    [("ORD-77", "payment"), ("ann@example.com", "customer"), ("4444", "charge")],
)
def test_global_search_finds_by_order_email_last4(payments, term, kind):
    hits = global_search(term, user=staff_user("support"))
    assert [h.kind for h in hits] == [kind]


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


def test_past_days_come_from_rollups_and_match_the_live_figures(payments, merchant):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from apps.refunds.models import Refund
    from apps.webhooks.models import Delivery

    two_days_ago = timezone.now() - timedelta(days=2)
    for model in (PaymentIntent, Charge, Refund, Delivery):
        model.objects.update(created_at=two_days_ago)
    live = dashboard_figures(period="7d")
    assert not live.from_rollups
    assert dashboard_figures(period="today").volume_by_currency == []
    call_command("reporting_rollup", days=8)
    rolled = dashboard_figures(period="7d")
    assert rolled.from_rollups
    for attr in (
        "volume_by_currency",
        "attempts",
        "authorized",
        "declines",
        "refunds_by_currency",
        "deliveries",
    ):
        assert getattr(rolled, attr) == getattr(live, attr), attr
    assert (
        dashboard_figures(period="7d", merchant_id=merchant.pk).volume_by_currency
        == rolled.volume_by_currency
    )
    # Rolled-up days are read from the roll-up, not re-aggregated from millions of rows.
    PaymentIntent.objects.filter(status="succeeded").update(amount_received=models.F("amount_received") + 1)
    assert dashboard_figures(period="7d").volume_by_currency == live.volume_by_currency
    call_command("reporting_rollup", days=8)  # re-rolling picks the change up
    assert {r["amount"] for r in dashboard_figures(period="7d").volume_by_currency} == {2501, 1235}
