"""Split rules: validation and the deterministic allocation of shares."""

import pytest

from apps.core.errors import InvalidRequestError
from apps.ledger.splits import allocate, split_amounts, validate_split_rule
from tests.ledger.factories import THIRDS


def test_split_rounding_1000_into_thirds_sums_exactly():
    shares = split_amounts(1000, THIRDS)
    assert [s["amount"] for s in shares] == [333, 333, 334]
    assert sum(s["amount"] for s in shares) == 1000


@pytest.mark.parametrize("total", [1, 2, 7, 999, 1000, 1001, 123_457])
def test_allocation_always_sums_to_the_whole_and_is_deterministic(total):
    weights = [3333, 3333, 3334]
    assert sum(allocate(total, weights)) == total
    assert allocate(total, weights) == allocate(total, weights)


def test_split_rule_must_total_100_percent():
    bad = [dict(THIRDS[0]), dict(THIRDS[1])]
    with pytest.raises(InvalidRequestError) as exc:
        validate_split_rule(bad)
    assert (exc.value.code, exc.value.param) == ("split_percentages_invalid", "split")
    assert "66.66%" in exc.value.message


def test_split_rule_accepts_percentages_with_two_decimals_and_names_bad_params():
    rule = validate_split_rule(
        [
            {"account_type": "SystemOwner", "account_id": "a", "percentage": "33.33"},
            {"account_type": "service_owner", "account_id": "b", "percentage": 33.33},
            {"account_type": "Partner", "account_id": "c", "percentage": "33.34"},
        ]
    )
    assert [r["percentage_bp"] for r in rule] == [3333, 3333, 3334]
    assert rule[1]["account_type"] == "ServiceOwner"
    with pytest.raises(InvalidRequestError) as exc:
        validate_split_rule([{"account_type": "Boss", "account_id": "a", "percentage_bp": 10000}])
    assert exc.value.param == "split[0][account_type]"
    with pytest.raises(InvalidRequestError) as exc:
        validate_split_rule([{"account_type": "Partner", "account_id": "a", "percentage": "33.333"}])
    assert exc.value.param == "split[0][percentage]"
