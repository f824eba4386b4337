import pytest
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.ledger.models import BalanceTransaction
from apps.ledger.selectors import ledger_available_balance, ledger_check_invariants
from apps.payouts import services
from apps.payouts.models import BankAccount, Payout
from apps.webhooks.models import Event

from .conftest import ACTOR, fund, us_bank


def available(merchant, currency="USD"):
    return ledger_available_balance(merchant=merchant, livemode=False, currency=currency)


def run_bank():
    services.payouts_submit_due()
    Payout.objects.filter(status="in_transit").update(settle_after=timezone.now())
    services.payouts_settle_due()


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


def test_payout_above_available_is_refused(funded):
    with pytest.raises(StateConflictError) as exc:
        services.payout_create(merchant=funded, livemode=False, amount=100_001, currency="USD", actor=ACTOR)
    assert exc.value.code == "balance_insufficient"
    assert not Payout.objects.exists()


def test_cancel_returns_funds_only_while_pending(funded):
    payout = services.payout_create(
        merchant=funded, livemode=False, amount=10_000, currency="USD", actor=ACTOR
    )
    services.payout_cancel(payout=payout, actor=ACTOR)
    payout.refresh_from_db()
    assert payout.status == "canceled"
    assert available(funded) == 100_000
    with pytest.raises(StateConflictError):
        services.payout_cancel(payout=payout, actor=ACTOR)
    other = services.payout_create(
        merchant=funded, livemode=False, amount=10_000, currency="USD", actor=ACTOR
    )
    services.payouts_submit_due()
    with pytest.raises(StateConflictError) as exc:
        services.payout_cancel(payout=other, actor=ACTOR)
    assert exc.value.code == "payout_not_cancelable"


def test_payout_above_threshold_waits_for_approval(funded):
    settings = funded.settings
    settings.payout_approval_threshold = 20_000
    settings.save()
    big = services.payout_create(merchant=funded, livemode=False, amount=50_000, currency="USD", actor=ACTOR)
    assert big.approval == "required"
    assert available(funded) == 50_000  # held while waiting
    services.payouts_submit_due()
    big.refresh_from_db()
    assert big.status == "pending"  # the bank never saw it
    services.payout_approve(payout_id=big.public_id, actor=ACTOR)
    run_bank()
    big.refresh_from_db()
    assert big.status == "paid"

    rejected = services.payout_create(
        merchant=funded, livemode=False, amount=30_000, currency="USD", actor=ACTOR
    )
    services.payout_reject(payout_id=rejected.public_id, actor=ACTOR, reason="suspicious")
    rejected.refresh_from_db()
    assert (rejected.status, rejected.approval) == ("canceled", "rejected")
    assert available(funded) == 50_000
    assert AuditEntry.objects.filter(action="payout.rejected", reason="suspicious").exists()


def test_mark_failed_requires_a_reason_and_is_audited(funded):
    payout = services.payout_create(
        merchant=funded, livemode=False, amount=10_000, currency="USD", actor=ACTOR
    )
    services.payouts_submit_due()
    with pytest.raises(InvalidRequestError):
        services.payout_mark_failed(payout=payout, actor=ACTOR, reason=" ")
    services.payout_mark_failed(payout=payout, actor=ACTOR, reason="bank returned it")
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert available(funded) == 100_000
    assert AuditEntry.objects.filter(action="payout.marked_failed", object_id=payout.public_id).exists()


def test_scheduled_daily_payout_sweeps_available(funded):
    from datetime import date

    services.payout_schedule_update(
        merchant=funded, livemode=False, changes={"interval": "daily", "minimum_amount": 500}, actor=ACTOR
    )
    created = services.payouts_run_scheduled(today=date(2026, 3, 2))
    assert [(p.amount, p.automatic) for p in created] == [(100_000, True)]
    assert services.payouts_run_scheduled(today=date(2026, 3, 2)) == []  # once a day


def test_weekly_and_monthly_schedules_are_due_on_their_anchor():
    from datetime import date

    from apps.payouts.models import PayoutSchedule

    weekly = PayoutSchedule(interval="weekly", weekly_anchor="friday")
    assert services.payout_schedule_is_due(weekly, date(2026, 3, 6))  # a Friday
    assert not services.payout_schedule_is_due(weekly, date(2026, 3, 5))
    monthly = PayoutSchedule(interval="monthly", monthly_anchor=31)
    assert services.payout_schedule_is_due(monthly, date(2026, 2, 28))  # short month: last day
    assert not services.payout_schedule_is_due(PayoutSchedule(interval="manual"), date(2026, 2, 28))
