import pytest

from apps.ledger.services import ledger_settle_due


@pytest.fixture
def settle(merchant):
    """Makes every pending transaction of `merchant` due and settles it."""
    from datetime import timedelta

    from django.utils import timezone

    def run(m=None, currency="USD", livemode=False):
        return ledger_settle_due(
            merchant=m or merchant,
            livemode=livemode,
            currency=currency,
            now=timezone.now() + timedelta(days=60),
        )

    return run
