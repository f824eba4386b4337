"""Money in the back office: one display helper and one input field, both in major units of the
amount's currency (ISO exponents from apps.core.currencies; integer arithmetic, no floats)."""

from decimal import Decimal, InvalidOperation

from django import forms
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.core.currencies import CURRENCIES, format_amount


def money(amount: int | None, currency: str) -> str:
    """Integer minor units → "1,234.56 USD"; a missing amount shows as "—"."""
    if amount is None:
        return "—"
    return format_amount(amount, currency or "")


def _exponent(currency: str) -> int:
    found = CURRENCIES.get((currency or "").upper())
    return found.exponent if found else 2


def to_minor(value: Decimal, currency: str) -> int:
    """Major units ("12.34") → minor units (1234); refuses more decimals than the currency has."""
    exponent = _exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise forms.ValidationError(
            f"{currency.upper()} amounts have at most {exponent} decimal place(s).", code="precision"
        )
    return int(scaled)


def to_major(amount: int, currency: str) -> Decimal:
    exponent = _exponent(currency)
    return (Decimal(amount) / 10**exponent).quantize(Decimal(1).scaleb(-exponent))


class MoneyField(forms.DecimalField):
    """An amount typed in major units of `currency` (e.g. 15.00 for 1500 USD cents, 500 for 500 JPY);
    `cleaned_data` holds integer minor units. When the currency depends on the object, call
    `field.set_currency(currency, maximum=..., maximum_label="refundable")` in the form's
    `__init__`: the input then shows the currency code beside it, and an amount over `maximum`
    (minor units) is refused with that maximum written out ("At most 20.00 EUR refundable.")."""

    def __init__(
        self, *, currency: str = "", allow_negative: bool = False, allow_zero: bool = False,
        maximum: int | None = None, maximum_label: str = "", **kwargs,
    ):  # fmt: skip
        self.currency = currency
        self.allow_negative = allow_negative
        self.allow_zero = allow_zero
        self.maximum = maximum
        self.maximum_label = maximum_label
        kwargs.setdefault(
            "widget", UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)
        if currency:
            self.set_currency(currency, maximum=maximum, maximum_label=maximum_label)

    def set_currency(
        self, currency: str, *, maximum: int | None = None, maximum_label: str = "", note: str = ""
    ) -> None:
        self.currency = (currency or "").upper()
        self.maximum = maximum
        self.maximum_label = maximum_label
        self.widget.attrs["suffix"] = self.currency
        self.widget.attrs["data-currency"] = self.currency
        exponent = _exponent(self.currency)
        example = "500" if exponent == 0 else f"12.{'3' * exponent}"
        parts = [f"In {self.currency}, as written on a receipt (e.g. {example})."]
        if maximum is not None:
            parts.append(
                f"At most {money(maximum, self.currency)}{' ' + maximum_label if maximum_label else ''}."
            )
        if note:
            parts.append(note)
        self.help_text = " ".join(parts)

    def to_python(self, value):
        major = super().to_python(value)
        if major is None:
            return None
        if major == 0 and not self.allow_zero:
            raise forms.ValidationError("Enter an amount other than zero.", code="min_value")
        if major < 0 and not self.allow_negative:
            raise forms.ValidationError("Enter an amount that is not negative.", code="min_value")
        try:
            return to_minor(major, self.currency)
        except InvalidOperation as exc:
            raise forms.ValidationError("Enter an amount.", code="invalid") from exc

    def validate(self, value):
        # `value` is already integer minor units; DecimalField's checks were made by to_python.
        forms.Field.validate(self, value)
        if value is not None and self.maximum is not None and value > self.maximum:
            label = f" {self.maximum_label}" if self.maximum_label else ""
            raise forms.ValidationError(
                f"At most {money(self.maximum, self.currency)}{label}; "
                f"{money(value, self.currency)} is more.",
                code="max_value",
            )

    def run_validators(self, value):
        return None

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return to_major(value, self.currency)
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        if self.currency:
            attrs["data-currency"] = self.currency.upper()
        return attrs


class MoneyDisplayMixin:
    """Shows the model's integer amount fields formatted with their currency on the object's page:
    `money_fields = ("amount", "amount_captured")` (the currency read from `currency_field`).
    Each listed field is replaced, where it appears, by "<name>_money" with the same label."""

    money_fields: tuple[str, ...] = ()
    currency_field = "currency"

    def _with_money(self, names):
        # Once each: an amount can reach get_fields both as a model field and as a read-only one.
        return list(dict.fromkeys(f"{n}_money" if n in self.money_fields else n for n in names))

    def get_fields(self, request, obj=None):
        return self._with_money(super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._with_money(super().get_readonly_fields(request, obj))

    def __getattr__(self, name):
        if name.endswith("_money") and name[: -len("_money")] in type(self).money_fields:
            field = name[: -len("_money")]
            currency_field = type(self).currency_field

            def display(obj):
                return money(getattr(obj, field), getattr(obj, currency_field, ""))

            display.short_description = self.model._meta.get_field(field).verbose_name
            return display
        raise AttributeError(name)


class CurrencyMoneyFormMixin:
    """For model forms whose amounts are in a currency chosen on the same form (a tolerance, a fee
    rule): declare the amounts as `MoneyField`s and list them in `money_fields`; each is typed in
    major units of the posted currency (or the instance's), e.g. 0.30 USD or 50 JPY, and saved in
    its minor units. Changing the currency re-reads the typed number in the new currency."""

    money_fields: tuple[str, ...] = ()
    currency_field = "currency"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        posted = self.data.get(self.add_prefix(self.currency_field)) if self.is_bound else None
        currency = (posted or getattr(self.instance, self.currency_field, "") or "USD").upper()
        for name in self.money_fields:
            field = self.fields[name]
            note = getattr(field, "_note", None)
            if note is None:
                note = field._note = field.help_text or ""
            field.set_currency(currency, note=note)
