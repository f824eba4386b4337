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


@pytest.mark.parametrize(
    ("currency", "typed", "minor", "shown"),
    [("JPY", "500", 500, "500 JPY"), ("USD", "3.00", 300, "3.00 USD"), ("EUR", "3", 300, "3.00 EUR"),
     ("KWD", "1.250", 1250, "1.250 KWD"), ("IQD", "0.001", 1, "0.001 IQD")],
)  # fmt: skip
def test_set_currency_reads_each_exponent_and_names_the_currency(currency, typed, minor, shown):
    form = _Form({"amount": typed})
    form.fields["amount"].set_currency(currency, maximum=10**6)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == minor
    assert money(minor, currency) == shown
    rendered = str(form["amount"])
    assert currency in rendered and f'data-currency="{currency}"' in rendered


def test_over_the_maximum_is_refused_with_the_maximum_written_out():
    form = _Form({"amount": "25.00"})
    form.fields["amount"].set_currency("EUR", maximum=2000, maximum_label="refundable")
    assert not form.is_valid()
    assert form.errors["amount"] == ["At most 20.00 EUR refundable; 25.00 EUR is more."]
    assert "At most 20.00 EUR refundable." in str(form["amount"].help_text)


@pytest.mark.django_db
def test_the_0_03_eur_regression_three_euros_typed_is_300_minor_units(api, merchant, client):
    """A support agent typed "3.00" on a 20.00 EUR payment and refunded 0.03 EUR: the refund form
    now reads major units of the payment's currency and says so before acting."""
    from django.urls import reverse

    from apps.intents.models import PaymentIntent
    from apps.refunds.models import Refund
    from tests.admin.staff import staff_user
    from tests.intents.helpers import make_card, pay

    body = pay(api, make_card(merchant), amount=2000, currency="eur").json()
    intent = PaymentIntent.objects.get(public_id=body["id"])
    client.force_login(staff_user("support", "sue"))
    url = reverse("admin:intents_paymentintent_refund", args=[intent.pk])
    form = {"amount": "3.00", "refund_reason": "requested_by_customer", "reason": "one item back"}
    review = client.post(url, form)
    page = review.content.decode()
    assert review.status_code == 200 and "Refund 3.00 EUR of 20.00 EUR refundable" in page
    assert not Refund.objects.exists()
    done = client.post(url, {**form, "confirmed": "1"})
    assert done.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.currency.upper()) == (300, "EUR")


@pytest.mark.django_db
def test_no_admin_action_form_takes_a_raw_integer_amount():
    """Every money input of the workbench and the adjustment form is the money field."""
    from apps.intents.admin import CaptureForm, RefundForm
    from apps.ledger.admin import AdjustmentForm

    for form in (RefundForm(currency="EUR"), CaptureForm(currency="EUR"), AdjustmentForm()):
        for name, field in form.fields.items():
            if "amount" in name:
                assert isinstance(field, MoneyField), (type(form).__name__, name)
