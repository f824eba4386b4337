"""Demo payouts for `manage.py load_demo`, loaded after the demo payments (ORDER). To have
something to pay out, the demo settles its pending balance at once (normally after the
merchant's settlement delay). Idempotent."""

from datetime import timedelta

from django.utils import timezone

from apps.audit.services import Actor
from apps.ledger.services import ledger_settle_all_due

from .models import BankAccount, Payout
from .services import bank_account_create, payout_create

ORDER = 60
ACTOR = Actor.system("load_demo")
# Sandbox bank test accounts: this routing/account pair pays out; the *116 account fails.
OK_ACCOUNT = ("110000000", "000123456789")
FAILING_ACCOUNT = ("110000000", "000111111116")


def load(merchant, stdout) -> None:
    if (
        Payout.objects.filter(merchant=merchant).exists()
        or BankAccount.objects.filter(merchant=merchant).exists()
    ):
        return
    ledger_settle_all_due(now=timezone.now() + timedelta(days=30))
    good = bank_account_create(
        merchant=merchant,
        livemode=False,
        currency="USD",
        country="US",
        account_holder_name="Demo Shop LLC",
        routing_number=OK_ACCOUNT[0],
        account_number=OK_ACCOUNT[1],
        default_for_currency=True,
        actor=ACTOR,
    )
    bad = bank_account_create(
        merchant=merchant,
        livemode=False,
        currency="USD",
        country="US",
        account_holder_name="Demo Shop LLC",
        routing_number=FAILING_ACCOUNT[0],
        account_number=FAILING_ACCOUNT[1],
        actor=ACTOR,
    )
    payout_create(
        merchant=merchant,
        livemode=False,
        amount=5_000,
        currency="USD",
        actor=ACTOR,
        destination=good.public_id,
        description="Demo payout",
    )
    payout_create(
        merchant=merchant,
        livemode=False,
        amount=1_000,
        currency="USD",
        actor=ACTOR,
        destination=bad.public_id,
        description="Demo payout to an account that bounces",
    )
    stdout.write(
        "  Demo payouts: one that will be paid, one that will fail and return its funds "
        "(the sandbox bank moves them within a minute or two).\n"
    )
