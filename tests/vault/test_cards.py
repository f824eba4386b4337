"""Pure unit tests for apps.vault.cards (no database)."""

import datetime as dt

import pytest

from apps.vault import cards
from apps.vault.errors import CardValidationError

TODAY = dt.date(2026, 6, 15)

# Stripe's published test cards: number → (brand, funding, country)
STRIPE_TEST_CARDS = {
    "4242424242424242": ("visa", "credit", "US"),
    "4000056655665556": ("visa", "debit", "US"),
    "5555555555554444": ("mastercard", "credit", "US"),
    "2223003122003222": ("mastercard", "credit", "US"),
    "5200828282828210": ("mastercard", "debit", "US"),
    "5105105105105100": ("mastercard", "prepaid", "US"),
    "378282246310005": ("amex", "credit", "US"),
    "371449635398431": ("amex", "credit", "US"),
    "6011111111111117": ("discover", "credit", "US"),
    "6011000990139424": ("discover", "credit", "US"),
    "3056930009020004": ("diners", "credit", "US"),
    "36227206271667": ("diners", "credit", "US"),
    "3566002020360505": ("jcb", "credit", "JP"),
    "6200000000000005": ("unionpay", "credit", "CN"),
    # decline / 3DS / behaviour cards
    "4000000000000002": ("visa", "credit", "US"),
    "4000000000009995": ("visa", "credit", "US"),
    "4000000000009987": ("visa", "credit", "US"),
    "4000000000009979": ("visa", "credit", "US"),
    "4000000000000069": ("visa", "credit", "US"),
    "4000000000000127": ("visa", "credit", "US"),
    "4000000000000119": ("visa", "credit", "US"),
    "4000002760003184": ("visa", "credit", "DE"),
    "4000002500003155": ("visa", "credit", "FR"),
    "4000000000000259": ("visa", "credit", "US"),
    "4000000000005126": ("visa", "credit", "US"),
    "4100000000000019": ("visa", "credit", "US"),
    # international cards
    "4000000760000002": ("visa", "credit", "BR"),
    "4000001240000000": ("visa", "credit", "CA"),
    "4000008260000000": ("visa", "credit", "GB"),
    "4000058260000005": ("visa", "debit", "GB"),
}


@pytest.mark.parametrize(("number", "expected"), list(STRIPE_TEST_CARDS.items()))
def test_stripe_test_cards_validate_with_brand_funding_and_country(number, expected):
    card = cards.validate_card(number, 12, 2030, None, today=TODAY)
    assert (card.brand, card.funding, card.country) == expected
    assert card.last4 == number[-4:]
    assert card.number == number


@pytest.mark.parametrize("number", list(STRIPE_TEST_CARDS))
def test_stripe_test_cards_pass_luhn(number):
    assert cards.luhn_valid(number)


def test_luhn_rejects_single_digit_change():
    assert not cards.luhn_valid("4242424242424241")
    assert not cards.luhn_valid("")
    assert not cards.luhn_valid("42a2")


def test_unknown_bin_gives_unknown_funding_and_no_country():
    # Luhn-valid Visa number that is not in the sandbox BIN table.
    number = "4111111111111111"
    card = cards.validate_card(number, 1, 2031, "123", today=TODAY)
    assert card.brand == "visa"
    assert card.funding == "unknown"
    assert card.country is None


def test_number_is_normalized_from_spaces_and_dashes():
    card = cards.validate_card("4242 4242-4242 4242", 12, 30, "123", today=TODAY)
    assert card.number == "4242424242424242"
    assert card.exp_year == 2030


@pytest.mark.parametrize(
    ("prefix", "brand"),
    [
        ("4", "visa"),
        ("51", "mastercard"),
        ("55", "mastercard"),
        ("2221", "mastercard"),
        ("2720", "mastercard"),
        ("34", "amex"),
        ("37", "amex"),
        ("6011", "discover"),
        ("644", "discover"),
        ("65", "discover"),
        ("3528", "jcb"),
        ("3589", "jcb"),
        ("300", "diners"),
        ("36", "diners"),
        ("62", "unionpay"),
    ],
)
def test_brand_detection_by_prefix(prefix, brand):
    assert cards.detect_brand(prefix.ljust(16, "0")) == brand


@pytest.mark.parametrize("prefix", ["2220", "2721", "1", "9", "3527", "56"])
def test_unknown_prefixes_have_no_brand(prefix):
    assert cards.detect_brand(prefix.ljust(16, "0")) is None


def test_cvc_length_per_brand():
    assert cards.cvc_length("amex") == 4
    assert cards.cvc_length("visa") == 3
    assert cards.cvc_length("mastercard") == 3


def test_repr_never_contains_the_number():
    card = cards.validate_card("4242424242424242", 12, 2030, "123", today=TODAY)
    assert "4242424242424242" not in repr(card)
    assert "4242424242424242" not in str(card)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4242424242424241", "incorrect_number"),  # Luhn
        ("424242424242424", "invalid_number"),  # 15 digits: wrong length for Visa
        ("42424242424242424242", "invalid_number"),  # too long
        ("4242abcd42424242", "invalid_number"),
        ("", "invalid_number"),
        ("9999999999999995", "invalid_number"),  # no brand
        ("37828224631000", "invalid_number"),  # amex needs 15
        (None, "invalid_number"),
        (4242.0, "invalid_number"),
    ],
)
def test_bad_numbers_give_stripe_code_and_param(number, code):
    with pytest.raises(CardValidationError) as exc:
        cards.validate_card(number, 12, 2030, "123", today=TODAY)
    assert exc.value.code == code
    assert exc.value.param == "card[number]"


@pytest.mark.parametrize(
    ("month", "year", "code", "param"),
    [
        (0, 2030, "invalid_expiry_month", "card[exp_month]"),
        (13, 2030, "invalid_expiry_month", "card[exp_month]"),
        ("ab", 2030, "invalid_expiry_month", "card[exp_month]"),
        (True, 2030, "invalid_expiry_month", "card[exp_month]"),
        (-1, 2030, "invalid_expiry_month", "card[exp_month]"),
        (12, 123, "invalid_expiry_year", "card[exp_year]"),
        (12, 20300, "invalid_expiry_year", "card[exp_year]"),
        (12, "20x0", "invalid_expiry_year", "card[exp_year]"),
        (12, 2100, "invalid_expiry_year", "card[exp_year]"),
        (12, 2025, "expired_card", "card[exp_year]"),
        (12, 25, "expired_card", "card[exp_year]"),
        (5, 2026, "expired_card", "card[exp_month]"),
    ],
)
def test_bad_expiry_gives_stripe_code_and_param(month, year, code, param):
    with pytest.raises(CardValidationError) as exc:
        cards.validate_card("4242424242424242", month, year, "123", today=TODAY)
    assert (exc.value.code, exc.value.param) == (code, param)


def test_card_expiring_this_month_is_still_valid():
    card = cards.validate_card("4242424242424242", 6, 2026, "123", today=TODAY)
    assert (card.exp_month, card.exp_year) == (6, 2026)


def test_two_digit_year_and_string_values_are_accepted():
    card = cards.validate_card("4242424242424242", "07", "29", "123", today=TODAY)
    assert (card.exp_month, card.exp_year) == (7, 2029)


@pytest.mark.parametrize(
    ("number", "cvc"),
    [
        ("4242424242424242", "1234"),
        ("4242424242424242", "12"),
        ("4242424242424242", "12a"),
        ("378282246310005", "123"),
        ("378282246310005", "12345"),
        ("4242424242424242", True),
        ("4242424242424242", 12.5),
    ],
)
def test_bad_cvc_gives_invalid_cvc(number, cvc):
    with pytest.raises(CardValidationError) as exc:
        cards.validate_card(number, 12, 2030, cvc, today=TODAY)
    assert (exc.value.code, exc.value.param) == ("invalid_cvc", "card[cvc]")


def test_amex_takes_four_digit_cvc_and_cvc_is_optional():
    assert cards.validate_card("378282246310005", 12, 2030, "1234", today=TODAY).brand == "amex"
    assert cards.validate_card("4242424242424242", 12, 2030, None, today=TODAY).brand == "visa"
    assert cards.validate_card("4242424242424242", 12, 2030, "", today=TODAY).brand == "visa"


def test_number_checked_before_expiry_and_cvc():
    with pytest.raises(CardValidationError) as exc:
        cards.validate_card("4242424242424241", 13, 1999, "x", today=TODAY)
    assert exc.value.code == "incorrect_number"


def test_bin_table_prefers_longest_prefix():
    assert cards.bin_lookup("4000000760000002").country == "BR"
    assert cards.bin_lookup("4000000000000002").country == "US"
    assert cards.bin_lookup("4000058260000005") == cards.BinInfo("debit", "GB")
    assert cards.bin_lookup("4000056655665556") == cards.BinInfo("debit", "US")
