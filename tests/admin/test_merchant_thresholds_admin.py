"""The merchant's approval thresholds in the admin: one per currency and kind, typed in that
currency's major units (100.00 USD, 1000 JPY, 5.125 KWD) beside its code and stored in its minor
units; shown formatted; the legacy single thresholds only where set, labelled raw minor units,
and droppable with every shown currency keeping what it showed."""

import pytest
from django.urls import reverse

from apps.audit.services import Actor
from apps.merchants.models import MerchantSettings
from apps.merchants.services import merchant_settings_update
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


@pytest.fixture
def jpy_merchant(merchant):
    merchant.settlement_currency = "JPY"
    merchant.save()
    return merchant


def _form(client, url, **changes):
    """The page's own inline form data (management form included), with `changes` applied."""
    page = client.get(url)
    data = {}
    for form in (
        page.context["adminform"].form,
        *[f for fs in page.context["inline_admin_formsets"] for f in fs.formset.forms],
    ):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            data[key] = value  # BoundField.value() is already the field's prepared (rendered) value
            if form.fields[name].show_hidden_initial:  # a callable default's hidden "initial-" input
                data[form.add_initial_prefix(name)] = value
    for fs in page.context["inline_admin_formsets"]:
        mgmt = fs.formset.management_form
        for name in mgmt.fields:
            data[mgmt.add_prefix(name)] = mgmt[name].value()
    data.update({f"settings-0-{k}": v for k, v in changes.items()})
    return data


def test_thresholds_are_typed_in_major_units_of_each_currency(client, jpy_merchant):
    client.force_login(staff_user("admin"))
    url = reverse("admin:merchants_merchant_change", args=[jpy_merchant.pk])
    page = client.get(url).content.decode()
    for name in (
        "refund_threshold_USD",
        "refund_threshold_JPY",
        "payout_threshold_USD",
        "payout_threshold_JPY",
    ):
        assert f'name="settings-0-{name}"' in page
    assert 'data-currency="JPY"' in page
    assert 'name="settings-0-refund_approval_threshold"' not in page  # the raw number is not a field
    resp = client.post(url, _form(client, url, refund_threshold_USD="100.00", refund_threshold_JPY="1000",
                                  payout_threshold_USD="250.50", add_threshold_currency="KWD",
                                  add_refund_threshold="5.125"))  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:3000]
    settings = MerchantSettings.objects.get(merchant=jpy_merchant)
    assert settings.refund_approval_thresholds == {"JPY": 1000, "KWD": 5125, "USD": 10000}
    assert settings.payout_approval_thresholds == {"USD": 25050}
    assert settings.refund_approval_threshold is None
    again = client.get(url).content.decode()
    assert "10,000 JPY" not in again and "1,000 JPY" in again and "100.00 USD" in again
    assert 'name="settings-0-refund_threshold_KWD"' in again and 'value="5.125"' in again
    assert 'value="250.50"' in again
    # emptying a currency's field drops its own threshold
    resp = client.post(url, _form(client, url, refund_threshold_JPY=""))
    assert resp.status_code == 302
    settings.refresh_from_db()
    assert settings.refund_approval_thresholds == {"KWD": 5125, "USD": 10000}


def test_too_many_decimals_and_negative_thresholds_are_refused_beside_the_field(client, jpy_merchant):
    client.force_login(staff_user("admin"))
    url = reverse("admin:merchants_merchant_change", args=[jpy_merchant.pk])
    for changes, message in (
        ({"refund_threshold_JPY": "1000.5"}, "JPY amounts have at most 0 decimal place(s)."),
        ({"payout_threshold_USD": "-1"}, "Enter an amount that is not negative."),
        ({"add_threshold_currency": "KWD", "add_payout_threshold": "1.2345"}, "KWD amounts have at most 3 decimal place(s)."),
        ({"add_refund_threshold": "5"}, "Choose the currency of these thresholds."),
    ):  # fmt: skip
        resp = client.post(url, _form(client, url, **changes))
        assert resp.status_code == 200 and message in resp.content.decode(), changes
    settings = MerchantSettings.objects.get(merchant=jpy_merchant)
    assert (settings.refund_approval_thresholds, settings.payout_approval_thresholds) == ({}, {})


def test_the_legacy_threshold_is_shown_raw_and_dropping_it_keeps_what_each_currency_showed(
    client, jpy_merchant
):
    merchant_settings_update(merchant=jpy_merchant, changes={"refund_approval_threshold": 5000}, actor=ACTOR)
    client.force_login(staff_user("admin"))
    url = reverse("admin:merchants_merchant_change", args=[jpy_merchant.pk])
    page = client.get(url).content.decode()
    assert "5000 minor units (legacy API value)" in page
    # Prefilled with what applies today: the legacy 5000 read in each currency's units.
    assert 'value="50.00"' in page and 'value="5000"' in page
    resp = client.post(url, _form(client, url, clear_legacy_thresholds="on"))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    settings = MerchantSettings.objects.get(merchant=jpy_merchant)
    assert settings.refund_approval_threshold is None
    assert settings.refund_approval_thresholds == {"JPY": 5000, "USD": 5000}
    assert settings.payout_approval_thresholds == {}  # nothing applied to payouts, nothing invented
