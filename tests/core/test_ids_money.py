import pytest

from apps.core.currencies import format_amount, get_currency, validate_amount
from apps.core.errors import InvalidRequestError
from apps.core.ids import generate_id, has_prefix


def test_ids_are_prefixed_unique_and_time_sortable():
    ids = [generate_id("pi") for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert ids == sorted(ids)
    assert all(has_prefix(i, "pi") for i in ids)


@pytest.mark.parametrize(
    ("code", "exponent"), [("USD", 2), ("jpy", 0), ("KWD", 3), ("JOD", 3), ("IQD", 3), ("EUR", 2)]
)
def test_currency_exponents_are_iso_4217(code, exponent):
    assert get_currency(code).exponent == exponent


def test_unknown_currency_names_param():
    with pytest.raises(InvalidRequestError) as exc:
        get_currency("XYZ")
    assert exc.value.code == "invalid_currency"
    assert exc.value.param == "currency"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "parameter_invalid_integer"),
        (-5, "parameter_invalid_integer"),
        (10.5, "parameter_invalid_integer"),
        (True, "parameter_invalid_integer"),
        (10**12, "amount_too_large"),
        (10, "amount_too_small"),
    ],
)
def test_amount_validation(amount, code):
    with pytest.raises(InvalidRequestError) as exc:
        validate_amount(amount, "usd")
    assert exc.value.code == code
    assert exc.value.param == "amount"


def test_amount_within_limits_passes():
    validate_amount(1099, "USD")
    validate_amount(1, "USD", enforce_minimum=False)


def test_format_amount_uses_integer_arithmetic():
    assert format_amount(123456, "usd") == "1,234.56 USD"
    assert format_amount(5000, "JPY") == "5,000 JPY"
    assert format_amount(1234, "KWD") == "1.234 KWD"
    assert format_amount(-5, "EUR") == "-0.05 EUR"
