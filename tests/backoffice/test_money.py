"""One money display helper and one money input field (major units of the amount's currency)."""

import pytest
from django import forms

from apps.backoffice.money import MoneyField, money


def test_money_display_uses_the_currency_exponent():
    assert money(123456, "USD") == "1,234.56 USD"
    assert money(500, "JPY") == "500 JPY"
    assert money(1234, "KWD") == "1.234 KWD"
    assert money(-5, "eur") == "-0.05 EUR"
    assert money(None, "USD") == "—"


class _Form(forms.Form):
    amount = MoneyField(currency="USD")


@pytest.mark.parametrize(
    ("currency", "typed", "minor"),
    [("USD", "15.00", 1500), ("USD", "0.5", 50), ("JPY", "500", 500), ("KWD", "1.234", 1234)],
)
def test_money_field_reads_major_units(currency, typed, minor):
    form = _Form({"amount": typed})
    form.fields["amount"].currency = currency
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == minor


@pytest.mark.parametrize(
    ("currency", "typed"), [("JPY", "5.5"), ("USD", "1.001"), ("USD", "-3"), ("USD", "x")]
)
def test_money_field_refuses_what_the_currency_cannot_hold(currency, typed):
    form = _Form({"amount": typed})
    form.fields["amount"].currency = currency
    assert not form.is_valid()


def test_money_field_shows_minor_units_as_major():
    form = _Form(initial={"amount": 1500})
    assert 'value="15.00"' in str(form["amount"])


def test_money_field_shows_zero_in_the_currency_exponent():
    form = _Form(initial={"amount": 0})
    assert 'value="0.00"' in str(form["amount"])


@pytest.mark.django_db
def test_a_fee_schedule_fixed_fee_is_typed_in_major_units(client):
    from django.urls import reverse

    from apps.ledger.models import FeeSchedule
    from tests.admin.staff import staff_user

    client.force_login(staff_user("admin", "ada"))
    response = client.post(
        reverse("admin:ledger_feeschedule_add"),
        {
            "currency": "USD",
            "payment_method_type": "",
            "percent_bp": 290,
            "fixed_amount": "0.30",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = FeeSchedule.objects.get(currency="USD", merchant=None, percent_bp=290)
    assert schedule.fixed_amount == 30
    page = client.get(reverse("admin:ledger_feeschedule_change", args=[schedule.pk])).content.decode()
    assert 'value="0.30"' in page
