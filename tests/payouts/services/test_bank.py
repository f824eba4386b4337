"""The bank's answers: a payout paid, or failed by a failing test account with its funds returned."""

import pytest

from apps.ledger.models import BalanceTransaction
from apps.ledger.selectors import ledger_check_invariants
from apps.payouts import services
from apps.payouts.models import BankAccount
from apps.webhooks.models import Event
from tests.ledger.factories import fund
from tests.payouts.factories import ACTOR, available, run_bank, us_bank


def test_payout_debits_available_and_is_paid_by_the_sandbox_bank(funded):
    payout = services.payout_create(
        merchant=funded, livemode=False, amount=30_000, currency="usd", actor=ACTOR
    )
    assert payout.status == "pending"
    assert available(funded) == 70_000
    run_bank()
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert payout.arrival_date is not None
    assert available(funded) == 70_000
    types = set(
        Event.objects.filter(merchant=funded, type__startswith="payout.").values_list("type", flat=True)
    )
    assert types == {"payout.created", "payout.updated", "payout.paid"}
    assert BankAccount.objects.get(pk=payout.destination_id).status == "verified"
    assert ledger_check_invariants() == []


@pytest.mark.parametrize("number,code", [("000111111116", "no_account"), ("000111111113", "account_closed")])
def test_failing_test_account_fails_the_payout_and_returns_the_funds(merchant, number, code):
    fund(merchant, 50_000)
    bank = us_bank(merchant, number)
    payout = services.payout_create(
        merchant=merchant, livemode=False, amount=50_000, currency="USD", actor=ACTOR
    )
    assert available(merchant) == 0
    run_bank()
    payout.refresh_from_db()
    assert (payout.status, payout.failure_code) == ("failed", code)
    assert available(merchant) == 50_000
    bank.refresh_from_db()
    assert bank.status == "errored"
    assert BalanceTransaction.objects.filter(payout_id=payout.public_id).count() == 2
    assert Event.objects.filter(type="payout.failed", merchant=merchant).count() == 1
    assert ledger_check_invariants() == []


def test_failing_iban_test_account(merchant):
    fund(merchant, 5_000, currency="EUR")
    services.bank_account_create(
        merchant=merchant, livemode=False, currency="EUR", iban="DE49 3704 0044 0000 1111 16", actor=ACTOR
    )
    payout = services.payout_create(
        merchant=merchant, livemode=False, amount=5_000, currency="EUR", actor=ACTOR
    )
    run_bank()
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert available(merchant, "EUR") == 5_000
