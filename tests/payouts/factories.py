"""Payouts test data: bank accounts through the service (sandbox bank test numbers)."""

from django.utils import timezone

from apps.audit.services import Actor
from apps.ledger.selectors import ledger_available_balance
from apps.payouts import services
from apps.payouts.models import Payout

ACTOR = Actor.system("tests")


def us_bank(merchant, account_number="000123456789", *, currency="USD", default=True, livemode=False):
    return services.bank_account_create(
        merchant=merchant,
        livemode=livemode,
        currency=currency,
        routing_number="110000000",
        account_number=account_number,
        account_holder_name="Acme",
        default_for_currency=default,
        actor=ACTOR,
    )


def available(merchant, currency="USD"):
    return ledger_available_balance(merchant=merchant, livemode=False, currency=currency)


def run_bank():
    """One pass of the bank: submit what is due, then settle everything in transit."""
    services.payouts_submit_due()
    Payout.objects.filter(status="in_transit").update(settle_after=timezone.now())
    services.payouts_settle_due()
