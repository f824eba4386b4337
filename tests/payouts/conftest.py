from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.services import Actor
from apps.ledger.services import ledger_post_capture, ledger_settle_due
from apps.payouts.services import bank_account_create

ACTOR = Actor.system("tests")


def fund(merchant, amount, *, currency="USD", livemode=False, charge_id=None):
    """Captures `amount` and settles it so it is available."""
    from apps.core.ids import generate_id

    ledger_post_capture(
        merchant=merchant,
        livemode=livemode,
        charge_id=charge_id or generate_id("ch"),
        amount=amount,
        currency=currency,
        connector_code="sandbox",
    )
    ledger_settle_due(
        merchant=merchant, livemode=livemode, currency=currency, now=timezone.now() + timedelta(days=30)
    )


def us_bank(merchant, account_number="000123456789", *, currency="USD", default=True, livemode=False):
    return bank_account_create(
        merchant=merchant,
        livemode=livemode,
        currency=currency,
        routing_number="110000000",
        account_number=account_number,
        account_holder_name="Acme",
        default_for_currency=default,
        actor=ACTOR,
    )


@pytest.fixture
def funded(merchant):
    fund(merchant, 100_000)
    us_bank(merchant)
    return merchant
