"""The payments, charges and refunds changelists are built for millions of rows: no query that
reads the whole table (DISTINCT for date_hierarchy or filter choices, COUNT(*)), exact search on
indexed columns (related identifiers resolved first), keyset pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.intents.admin import ChargeAdmin, PaymentIntentAdmin
from apps.intents.models import Charge, PaymentIntent
from apps.refunds.admin import RefundAdmin
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.intents.helpers import make_customer, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    client.force_login(staff_user("support", "sue"))
    return client


@pytest.fixture
def two(api, card, merchant):
    customer = make_customer(merchant, email="ann@example.com")
    a = pay(api, card("5555555555554444"), metadata={"order_id": "ORD-1"}, customer=customer.public_id).json()
    b = pay(api, card(), currency="eur", metadata={"order_id": "ORD-2"}).json()
    api.post("/v1/refunds", {"payment_intent": a["id"], "amount": 100}, format="json")
    return a, b


@pytest.mark.parametrize("model_admin", [PaymentIntentAdmin, ChargeAdmin, RefundAdmin])
def test_no_date_hierarchy_and_estimated_counts(model_admin):
    from apps.backoffice.paging import EstimatedCountPaginator

    assert model_admin.date_hierarchy is None
    assert model_admin.paginator is EstimatedCountPaginator
    assert model_admin.show_full_result_count is False
    assert model_admin.list_select_related


@pytest.mark.parametrize("name", ["intents_paymentintent", "intents_charge", "refunds_refund"])
def test_changelist_runs_no_whole_table_query(support, two, name):
    with CaptureQueriesContext(connection) as ctx:
        response = support.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    assert not [q for q in sql if "DISTINCT" in q], "filter choices or date hierarchy read the whole table"
    assert not [q for q in sql if "COUNT(*)" in q and name.upper() in q and "LIMIT" not in q]


def test_currency_filter_has_fixed_choices_and_filters(support, two):
    a, b = two
    url = reverse("admin:intents_paymentintent_changelist")
    page = support.get(url, {"currency": "EUR"}).content.decode()
    assert b["id"] in page and a["id"] not in page
    assert 'value="JPY"' in support.get(url).content.decode()  # a choice no payment uses


def test_payments_search_by_gateway_reference_and_charge_id(support, two):
    a, b = two
    url = reverse("admin:intents_paymentintent_changelist")
    charge = Charge.objects.get(public_id=b["latest_charge"])
    for term in (charge.gateway_reference, charge.public_id, "ORD-2"):
        page = support.get(url, {"q": term}).content.decode()
        assert b["id"] in page and a["id"] not in page, term
    assert "0 results" in support.get(url, {"q": "ord-2"}).content.decode() or (
        b["id"] not in support.get(url, {"q": "ord-2"}).content.decode()
    )  # exact, case-sensitive: the index serves it


def test_charges_and_refunds_search_through_the_payment(support, two):
    a, b = two
    charges = support.get(reverse("admin:intents_charge_changelist"), {"q": "ORD-1"}).content.decode()
    assert a["latest_charge"] in charges and b["latest_charge"] not in charges
    charges = support.get(reverse("admin:intents_charge_changelist"), {"q": b["id"]}).content.decode()
    assert b["latest_charge"] in charges and a["latest_charge"] not in charges
    refund = Refund.objects.get(payment_intent__public_id=a["id"])
    for term in (a["id"], a["latest_charge"], refund.public_id):
        page = support.get(reverse("admin:refunds_refund_changelist"), {"q": term}).content.decode()
        assert refund.public_id in page, term
    page = support.get(reverse("admin:refunds_refund_changelist"), {"q": b["id"]}).content.decode()
    assert refund.public_id not in page


def test_keyset_link_walks_to_older_rows(support, two, monkeypatch):
    a, b = two
    monkeypatch.setattr(PaymentIntentAdmin, "list_per_page", 1)
    url = reverse("admin:intents_paymentintent_changelist")
    first = support.get(url).content.decode()
    newest = PaymentIntent.objects.order_by("-pk").first()
    assert "data-keyset-next" in first and f"after={newest.pk}" in first
    older = support.get(url, {"after": newest.pk}).content.decode()
    assert a["id"] in older and b["id"] not in older
