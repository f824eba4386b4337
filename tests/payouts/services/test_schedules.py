"""Payout schedules: the available balance swept on the schedule's day."""

from apps.payouts import services
from tests.payouts.factories import ACTOR


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
