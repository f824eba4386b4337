"""Refunds: the merchant debited available, then pending, then as tracked debt; splits reversed."""

import pytest

from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.ledger.services import ledger_post_refund
from tests.ledger.factories import THIRDS, account_balance, capture


def test_refund_debits_available_then_pending_then_debt(merchant, settle):
    capture(merchant, "ch_a", 3_000)
    settle()
    capture(merchant, "ch_b", 2_000)
    assert merchant_balances(merchant, False, "USD") == {"pending": 2_000, "available": 3_000, "reserve": 0}
    ledger_post_refund(refund_id="re_1", charge_id="ch_a", amount=3_000)
    assert merchant_balances(merchant, False, "USD")["available"] == 0
    ledger_post_refund(refund_id="re_2", charge_id="ch_b", amount=1_500)
    assert merchant_balances(merchant, False, "USD") == {"pending": 500, "available": 0, "reserve": 0}
    # dispute-like shortfall: pending 500 covers part, the rest becomes tracked debt
    from apps.ledger.models import MerchantBalanceState
    from apps.ledger.services import ledger_post_dispute_debit

    ledger_post_dispute_debit(
        merchant=merchant,
        livemode=False,
        dispute_id="dp_1",
        amount=2_000,
        currency="USD",
        connector_code="sandbox",
    )
    assert merchant_balances(merchant, False, "USD") == {"pending": 0, "available": -1_500, "reserve": 0}
    assert MerchantBalanceState.objects.get(merchant=merchant, currency="USD").debt == 1_500
    # the next capture repays the debt before anything goes to pending
    capture(merchant, "ch_c", 1_000)
    assert merchant_balances(merchant, False, "USD") == {"pending": 0, "available": -500, "reserve": 0}
    capture(merchant, "ch_d", 1_000)
    assert merchant_balances(merchant, False, "USD") == {"pending": 500, "available": 0, "reserve": 0}
    assert MerchantBalanceState.objects.get(merchant=merchant, currency="USD").debt == 0
    assert ledger_check_invariants() == []


def test_refund_beyond_capture_is_refused(merchant):
    from apps.ledger.errors import LedgerError

    capture(merchant, "ch_x", 1_000)
    ledger_post_refund(refund_id="re_a", charge_id="ch_x", amount=600)
    with pytest.raises(LedgerError) as exc:
        ledger_post_refund(refund_id="re_b", charge_id="ch_x", amount=401)
    assert exc.value.code == "ledger_refund_exceeds_capture"


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
