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


def test_each_currency_waits_for_its_own_minimum(merchant):
    """50.00 USD and 500 JPY are different minimums: one integer across currencies (the legacy
    minimum_amount) applies only where a currency has none of its own."""
    from datetime import date

    from tests.ledger.factories import fund
    from tests.payouts.factories import us_bank

    fund(merchant, 4_000, currency="USD")  # 40.00 USD, under its 50.00 minimum
    fund(merchant, 600, currency="JPY")  # 600 JPY, over its 500 minimum
    fund(merchant, 3_000, currency="EUR")  # no own minimum: the legacy 5000 applies, so it waits
    for currency, number in (("USD", "000123456789"), ("JPY", "000123456780"), ("EUR", "000123456781")):
        us_bank(merchant, number, currency=currency)
    schedule = services.payout_schedule_update(
        merchant=merchant, livemode=False, actor=ACTOR,
        changes={"interval": "daily", "minimum_amount": 5_000, "minimum_amounts": {"usd": 5_000, "JPY": 500}},
    )  # fmt: skip
    assert schedule.minimum_amounts == {"JPY": 500, "USD": 5_000}
    assert (schedule.minimum_for("jpy"), schedule.minimum_for("EUR")) == (500, 5_000)
    created = services.payouts_run_scheduled(today=date(2026, 3, 2))
    assert [(p.currency, p.amount) for p in created] == [("JPY", 600)]

    # A later change merges; None drops the currency's own minimum (back to the legacy one).
    schedule = services.payout_schedule_update(
        merchant=merchant, livemode=False, actor=ACTOR, changes={"minimum_amounts": {"USD": None, "EUR": 0}}
    )
    assert schedule.minimum_amounts == {"EUR": 0, "JPY": 500}
    created = services.payouts_run_scheduled(today=date(2026, 3, 3))
    assert [(p.currency, p.amount) for p in created] == [("EUR", 3_000)]


def test_a_minimum_for_an_unknown_currency_or_a_negative_one_is_refused(merchant):
    import pytest

    from apps.core.errors import InvalidRequestError

    for bad in ({"XYZ": 5}, {"USD": -1}, {"USD": 1.5}, {"USD": True}):
        with pytest.raises(InvalidRequestError):
            services.payout_schedule_update(
                merchant=merchant, livemode=False, actor=ACTOR, changes={"minimum_amounts": bad}
            )
