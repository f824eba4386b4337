"""Settlement: pending funds become available when their delay has passed."""

from datetime import timedelta

from django.utils import timezone

from apps.ledger.selectors import merchant_balances
from apps.ledger.services import ledger_post_capture


def test_settle_task_moves_due_funds(merchant):
    import time_machine

    from apps.ledger.tasks import ledger_settle_due_task

    ledger_post_capture(
        merchant=merchant,
        livemode=False,
        charge_id="ch_t",
        amount=700,
        currency="USD",
        connector_code="sandbox",
    )
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        ledger_settle_due_task.delay()
    assert merchant_balances(merchant, False, "USD")["available"] == 700
