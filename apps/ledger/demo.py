"""Demo pricing for `manage.py load_demo`: a fee schedule and today's EUR/GBP rates, loaded before
the demo payments (ORDER) so their captures show fees and FX. Idempotent."""

from decimal import Decimal

from django.utils import timezone

from .models import ExchangeRate, FeeSchedule
from .services import exchange_rate_record

ORDER = 10


def load(merchant, stdout) -> None:
    for currency, percent_bp, fixed in (("USD", 290, 30), ("EUR", 250, 25)):
        FeeSchedule.objects.get_or_create(
            merchant=merchant,
            currency=currency,
            payment_method_type="",
            active=True,
            defaults={"percent_bp": percent_bp, "fixed_amount": fixed},
        )
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for base, rate in (("EUR", "1.0850"), ("GBP", "1.2700")):
        if not ExchangeRate.objects.filter(base=base, quote="USD", as_of__gte=today).exists():
            exchange_rate_record(
                base=base,
                quote="USD",
                rate=Decimal(rate),
                as_of=timezone.now(),
                source=ExchangeRate.Source.MANUAL,
            )
    stdout.write("  Demo pricing: 2.9% + 0.30 USD, 2.5% + 0.25 EUR; EUR/GBP → USD rates of today.\n")
