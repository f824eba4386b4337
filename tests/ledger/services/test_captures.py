"""Captures: pending credited against connector clearing, fees, split shares, FX conversion."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.ledger.models import Account, CaptureRecord, FeeSchedule, JournalEntry
from apps.ledger.selectors import balance_get, ledger_check_invariants, merchant_balances
from apps.ledger.services import exchange_rate_record, ledger_post_refund
from tests.ledger.factories import THIRDS, account_balance, capture


def test_capture_credits_pending_against_connector_clearing(merchant):
    result = capture(merchant)
    postings = {p.account.kind: p.amount for p in result.entry.postings.select_related("account")}
    assert postings == {"connector_clearing": -10_000, "pending": 10_000}
    assert balance_get(merchant=merchant, livemode=False) == {
        "USD": {"pending": 10_000, "available": 0, "reserve": 0}
    }
    assert result.balance_transaction.status == "pending"
    assert ledger_check_invariants() == []


def test_capture_is_idempotent_per_charge(merchant):
    capture(merchant)
    again = capture(merchant)
    assert again.entry is None
    assert JournalEntry.objects.filter(kind="capture").count() == 1


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


@pytest.mark.django_db(transaction=True)
def test_first_capture_of_a_new_merchant_in_autocommit_is_one_balanced_entry(merchant, other_merchant):
    """Regression: outside any transaction the postings joined to existing accounts committed on
    their own (the merchant's pending account did not exist yet), and the database refused the
    half-entry. The entry, its postings and its record now commit together."""
    capture(other_merchant, "ch_first", 100)  # the connector's clearing account exists, merchant's not
    result = capture(merchant, "ch_autocommit", 100)
    assert JournalEntry.objects.filter(idempotency_key="capture:ch_autocommit").count() == 1
    assert result.record.charge_id == "ch_autocommit"
    assert merchant_balances(merchant, False, "USD")["pending"] == 100
    assert ledger_check_invariants() == []
