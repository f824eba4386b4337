"""Exchange rates: provider refresh, CSV import, conversion in minor units."""

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.errors import InvalidRequestError
from apps.ledger.fx import convert
from apps.ledger.services import exchange_rates_import_csv


def test_fx_provider_refresh_and_import_command(db, settings, tmp_path):
    from django.core.management import call_command

    from apps.ledger.models import ExchangeRate
    from apps.ledger.tasks import exchange_rates_refresh_task

    settings.LEDGER_FX_PROVIDER = "apps.ledger.fx.sandbox_provider"
    assert exchange_rates_refresh_task.delay().get() >= 5
    assert ExchangeRate.objects.filter(base="USD", quote="EUR", source="provider").exists()
    path = tmp_path / "rates.csv"
    path.write_text("base,quote,rate,as_of\nGBP,USD,1.27,2026-11-01T00:00:00Z\n")
    call_command("import_exchange_rates", str(path))
    assert ExchangeRate.objects.get(base="GBP").source == "csv"


def test_conversion_honours_currency_exponents():
    assert convert(1000, rate=Decimal("0.0067"), source="JPY", target="USD") == 670
    assert convert(1000, rate=Decimal("0.709"), source="USD", target="JOD") == 7090


def test_csv_import_is_all_or_nothing(db):
    assert (
        exchange_rates_import_csv(
            "base,quote,rate,as_of\nEUR,USD,1.08,2026-01-01T00:00:00Z\nusd,jpy,151.2,\n"
        )
        == 2
    )
    with pytest.raises(InvalidRequestError) as exc:
        exchange_rates_import_csv("base,quote,rate\nEUR,USD,1.1\nEUR,XXX,1\n")
    assert "Line 3" in exc.value.message
    from apps.ledger.models import ExchangeRate

    assert ExchangeRate.objects.count() == 2


def test_exchange_rate_save_stores_a_manual_rate_and_audits_it(db):
    from apps.audit.models import AuditEntry
    from apps.audit.services import Actor
    from apps.ledger.models import ExchangeRate
    from apps.ledger.services import exchange_rate_save

    rate = exchange_rate_save(
        exchange_rate=ExchangeRate(
            base="eur", quote="usd", rate="1.0850", as_of=timezone.now(), source=ExchangeRate.Source.CSV
        ),
        actor=Actor.system("tests"),
    )
    assert (rate.base, rate.quote, rate.source) == ("EUR", "USD", "manual")
    entry = AuditEntry.objects.get(action="exchange_rate.saved", object_id=str(rate.pk))
    assert entry.after["rate"] == "1.0850"
