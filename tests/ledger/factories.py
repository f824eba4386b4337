"""Ledger test data: postings made through the services, so the books stay balanced."""

from datetime import timedelta

from django.utils import timezone

from apps.core.ids import generate_id
from apps.ledger.models import Posting
from apps.ledger.services import ledger_post_capture, ledger_settle_due

THIRDS = [
    {"account_type": "SystemOwner", "account_id": "system-wallet", "percentage_bp": 3333},
    {"account_type": "ServiceOwner", "account_id": "service-wallet", "percentage_bp": 3333},
    {"account_type": "Partner", "account_id": "partner-wallet", "percentage_bp": 3334},
]


def capture(merchant, charge_id="ch_1", amount=10_000, currency="USD", **kw):
    """A capture of `amount` through the sandbox connector, in test mode."""
    return ledger_post_capture(
        merchant=merchant,
        livemode=False,
        charge_id=charge_id,
        amount=amount,
        currency=currency,
        connector_code="sandbox",
        **kw,
    )


def fund(merchant, amount, *, currency="USD", livemode=False, charge_id=None):
    """Captures `amount` and settles it so it is available."""
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


def account_balance(**filters):
    """The sum of the postings on the accounts matching `filters` (Account field lookups)."""
    return sum(
        Posting.objects.filter(**{f"account__{k}": v for k, v in filters.items()}).values_list(
            "amount", flat=True
        )
    )
