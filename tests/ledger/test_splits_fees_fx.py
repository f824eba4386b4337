from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.errors import InvalidRequestError
from apps.ledger.fx import convert
from apps.ledger.models import Account, CaptureRecord, FeeSchedule, Posting
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.ledger.services import (
    exchange_rate_record,
    exchange_rates_import_csv,
    ledger_post_capture,
    ledger_post_refund,
)
from apps.ledger.splits import allocate, split_amounts, validate_split_rule

THIRDS = [
    {"account_type": "SystemOwner", "account_id": "system-wallet", "percentage_bp": 3333},
    {"account_type": "ServiceOwner", "account_id": "service-wallet", "percentage_bp": 3333},
    {"account_type": "Partner", "account_id": "partner-wallet", "percentage_bp": 3334},
]


def capture(merchant, charge_id, amount, currency="USD", **kw):
    return ledger_post_capture(
        merchant=merchant,
        livemode=False,
        charge_id=charge_id,
        amount=amount,
        currency=currency,
        connector_code="sandbox",
        **kw,
    )


def account_balance(**filters):
    return sum(
        Posting.objects.filter(**{f"account__{k}": v for k, v in filters.items()}).values_list(
            "amount", flat=True
        )
    )


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


def test_capture_with_split_and_fee_posts_every_share(merchant):
    FeeSchedule.objects.create(merchant=merchant, currency="USD", percent_bp=290, fixed_amount=30)
    result = capture(merchant, "ch_split", 10_000, split=THIRDS)
    fee = (10_000 * 290 + 5_000) // 10_000 + 30
    assert result.application_fee_amount == fee == 320
    net = 10_000 - fee
    shares = [s["amount"] for s in result.split]
    assert sum(shares) == net
    assert account_balance(kind="fees") == fee
    assert account_balance(kind="platform_revenue", beneficiary_id="system-wallet") == shares[0]
    assert account_balance(kind="split_share", beneficiary_id="partner-wallet") == shares[2]
    assert merchant_balances(merchant, False, "USD")["pending"] == shares[1]
    txn = result.balance_transaction
    assert (txn.amount, txn.fee, txn.net) == (10_000, 10_000 - shares[1], shares[1])
    assert ledger_check_invariants() == []


def test_refunds_reverse_splits_proportionally_and_fully(merchant):
    capture(merchant, "ch_s", 1_000, split=THIRDS)
    ledger_post_refund(refund_id="re_1", charge_id="ch_s", amount=500)
    assert account_balance(kind="split_share", beneficiary_id="partner-wallet") == 334 - 167
    assert account_balance(kind="platform_revenue") == 333 - 166
    ledger_post_refund(refund_id="re_2", charge_id="ch_s", amount=500)
    assert account_balance(kind="split_share") == 0
    assert account_balance(kind="platform_revenue") == 0
    assert sum(merchant_balances(merchant, False, "USD").values()) == 0
    assert ledger_check_invariants() == []


def test_fee_schedule_per_payment_method_type_wins_over_the_generic_one(merchant):
    FeeSchedule.objects.create(merchant=None, currency="USD", percent_bp=100)
    FeeSchedule.objects.create(merchant=merchant, currency="USD", percent_bp=200)
    FeeSchedule.objects.create(
        merchant=merchant, currency="USD", payment_method_type="paypal", percent_bp=350
    )
    assert capture(merchant, "ch_card", 10_000).application_fee_amount == 200
    assert capture(merchant, "ch_pp", 10_000, payment_method_type="paypal").application_fee_amount == 350


def test_fx_conversion_stores_the_rate_used(merchant):
    exchange_rate_record(
        base="EUR", quote="USD", rate="1.0850", as_of=timezone.now() - timedelta(hours=1), source="manual"
    )
    exchange_rate_record(
        base="EUR", quote="USD", rate="1.0000", as_of=timezone.now() - timedelta(days=3), source="manual"
    )
    result = capture(merchant, "ch_eur", 1_000, currency="EUR")
    record = result.record
    assert record.fx_status == "converted"
    assert record.fx_rate == Decimal("1.0850")
    assert record.settlement_amount == 1_085
    assert result.fx["rate"] == "1.085"
    assert result.balance_transaction.exchange_rate == "1.085"
    assert account_balance(kind="fx", currency="EUR") == 1_000
    assert account_balance(kind="fx", currency="USD") == -1_085
    assert account_balance(kind="connector_clearing", currency="EUR") == -1_000
    assert merchant_balances(merchant, False, "USD")["pending"] == 1_085
    # refunds use the capture's rate, and a full refund returns exactly what was settled
    ledger_post_refund(refund_id="re_e1", charge_id="ch_eur", amount=333)
    ledger_post_refund(refund_id="re_e2", charge_id="ch_eur", amount=667)
    assert merchant_balances(merchant, False, "USD")["pending"] == 0
    assert ledger_check_invariants() == []


def test_missing_or_stale_rate_settles_in_the_original_currency_and_is_flagged(merchant):
    exchange_rate_record(
        base="GBP", quote="USD", rate="1.27", as_of=timezone.now() - timedelta(days=2), source="manual"
    )
    result = capture(merchant, "ch_gbp", 1_000, currency="GBP")
    assert result.record.fx_status == CaptureRecord.FxStatus.RATE_MISSING
    assert result.fx["flagged_for_finance"] is True
    assert merchant_balances(merchant, False, "GBP")["pending"] == 1_000
    assert not Account.objects.filter(kind="fx").exists()


def test_conversion_honours_currency_exponents():
    assert convert(1000, rate=Decimal("0.0067"), source="JPY", target="USD") == 670
    assert convert(1000, rate=Decimal("0.709"), source="USD", target="JOD") == 7090


def test_csv_import_is_all_or_nothing(db):
    assert (
        exchange_rates_import_csv(
            "base,quote,rate,as_of\nEUR,USD,1.08,2026-01-01T00:00:00Z\nusd,jpy,151.2,\n"
        )
        == 2
    )
    with pytest.raises(InvalidRequestError) as exc:
        exchange_rates_import_csv("base,quote,rate\nEUR,USD,1.1\nEUR,XXX,1\n")
    assert "Line 3" in exc.value.message
    from apps.ledger.models import ExchangeRate

    assert ExchangeRate.objects.count() == 2
