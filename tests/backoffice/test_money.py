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
