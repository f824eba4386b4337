"""No admin form takes a raw minor-unit amount unless it says so: reconciliation tolerances and fee
rules, a merchant's maximum authorization and its approval thresholds (one per currency) are typed in
major units of their currency. Pages show amounts formatted with their currency."""

import pytest
from django.urls import reverse

from apps.reconciliation.models import AcquirerFeeRule, Tolerance
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user("admin", "ada"))
    return client


@pytest.mark.parametrize(
    ("currency", "typed", "stored"), [("EUR", "0.05", 5), ("JPY", "5", 5), ("KWD", "0.125", 125)]
)
def test_a_tolerance_is_typed_in_its_currencys_major_units(admin_client, currency, typed, stored):
    url = reverse("admin:reconciliation_tolerance_add")
    assert 'name="amount"' in admin_client.get(url).content.decode()
    resp = admin_client.post(url, {"currency": currency, "amount": typed})
    assert resp.status_code == 302, resp.content.decode()[:1500]
    assert Tolerance.objects.get(currency=currency).amount == stored
    listing = admin_client.get(reverse("admin:reconciliation_tolerance_changelist")).content.decode()
    assert f"{typed} {currency}" in listing


def test_too_many_decimals_for_the_chosen_currency_are_refused(admin_client):
    resp = admin_client.post(
        reverse("admin:reconciliation_tolerance_add"), {"currency": "JPY", "amount": "0.5"}
    )
    assert resp.status_code == 200 and "JPY amounts have at most 0 decimal place(s)." in resp.content.decode()
    assert not Tolerance.objects.exists()


def test_a_fee_rules_fixed_fee_is_typed_in_major_units(admin_client):
    resp = admin_client.post(
        reverse("admin:reconciliation_acquirerfeerule_add"),
        {"connector_code": "sandbox", "currency": "USD", "percent_bp": "290", "fixed_amount": "0.30"},
    )
    assert resp.status_code == 302, resp.content.decode()[:1500]
    rule = AcquirerFeeRule.objects.get()
    assert rule.fixed_amount == 30
    page = admin_client.get(
        reverse("admin:reconciliation_acquirerfeerule_change", args=[rule.pk])
    ).content.decode()
    assert 'value="0.30"' in page and 'data-currency="USD"' in page


def test_merchant_settings_max_authorization_in_major_units_and_thresholds_labelled(admin_client, merchant):
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    page = admin_client.get(url).content.decode()
    assert f"Maximum authorization ({merchant.default_currency.upper()})" in page
    assert 'name="settings-0-max_authorization_amount"' in page and 'data-currency="USD"' in page
    assert "Refund approval threshold in USD" in page and 'name="settings-0-refund_threshold_USD"' in page
    assert "(minor units)" not in page
    # Round trips per currency: tests/admin/test_merchant_thresholds_admin.py.
    # Saving it in a real browser: tests/browser/test_object_pages.py.
