"""Pure unit tests for apps.vault.banks (no database)."""

import pytest

from apps.vault import banks
from apps.vault.errors import BankValidationError

VALID_IBANS = [
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "GB82WEST12345698765432",
    "NL91ABNA0417164300",
    "AT611904300234573201",
    "BE68539007547034",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans_pass(iban):
    result = banks.validate_iban(iban)
    assert result.iban == iban
    assert result.country == iban[:2]
    assert result.last4 == iban[-4:]


def test_iban_is_normalized():
    result = banks.validate_iban(" de89 3704 0044 0532 0130 00 ")
    assert result.iban == "DE89370400440532013000"
    assert result.bank_code == "37040044"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # checksum
        "DE8937040044053201300",  # length for DE
        "XX89370400440532013000",  # unknown country
        "DE8937040044053201300!",
        "",
        None,
        12345,
        "D",
    ],
)
def test_invalid_ibans_are_rejected_with_param(iban):
    with pytest.raises(BankValidationError) as exc:
        banks.validate_iban(iban)
    assert exc.value.code == "invalid_bank_account_iban"
    assert exc.value.param == "sepa_debit[iban]"


def test_non_sepa_iban_is_rejected_for_sepa_but_checksum_is_fine():
    brazil = "BR1800360305000010009795493C1"
    assert banks.iban_checksum_valid(brazil)
    with pytest.raises(BankValidationError):
        banks.validate_iban(brazil)
    assert banks.validate_iban(brazil, sepa_only=False).country == "BR"


@pytest.mark.parametrize("routing", ["110000000", "021000021", "011401533", "091000019"])
def test_valid_routing_numbers(routing):
    assert banks.validate_routing_number(routing) == routing


@pytest.mark.parametrize(
    "routing", ["110000001", "12345678", "1234567890", "abcdefghi", "", None, "990000004"]
)
def test_invalid_routing_numbers(routing):
    with pytest.raises(BankValidationError) as exc:
        banks.validate_routing_number(routing)
    assert (exc.value.code, exc.value.param) == ("routing_number_invalid", "us_bank_account[routing_number]")


@pytest.mark.parametrize("account", ["000123456789", "1234", "12345678901234567"])
def test_valid_account_numbers(account):
    assert banks.validate_account_number(account) == account


@pytest.mark.parametrize("account", ["123", "123456789012345678", "12ab5678", "0000", "", None])
def test_invalid_account_numbers(account):
    with pytest.raises(BankValidationError) as exc:
        banks.validate_account_number(account)
    assert (exc.value.code, exc.value.param) == ("account_number_invalid", "us_bank_account[account_number]")


def test_us_bank_account_validates_types():
    acct = banks.validate_us_bank_account(routing_number="110000000", account_number="000123456789")
    assert (acct.account_type, acct.account_holder_type, acct.last4) == ("checking", "individual", "6789")
    assert "000123456789" not in repr(acct)
    with pytest.raises(BankValidationError) as exc:
        banks.validate_us_bank_account(
            routing_number="110000000", account_number="000123456789", account_type="brokerage"
        )
    assert exc.value.param == "us_bank_account[account_type]"
