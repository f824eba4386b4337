"""Snapshots taken while captures commit on other connections never lose or double a posting."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from apps.ledger.models import Posting
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.ledger.services import ledger_post_capture, ledger_snapshots_refresh


@pytest.mark.django_db(transaction=True)
def test_snapshots_under_concurrent_captures(merchant):
    stop = threading.Event()
    errors = []

    def writer(w):
        try:
            for i in range(25):
                with transaction.atomic():
                    ledger_post_capture(
                        merchant=merchant,
                        livemode=False,
                        charge_id=f"ch_{w}_{i}",
                        amount=100 + i,
                        currency="USD",
                        connector_code="sandbox",
                        settlement_delay_days=2,
                    )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def snapshotter():
        try:
            while not stop.is_set():
                ledger_snapshots_refresh()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    snap = threading.Thread(target=snapshotter)
    writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    snap.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    snap.join()
    ledger_snapshots_refresh()

    assert errors == []
    expected = sum(100 + i for i in range(25)) * 4
    raw = Posting.objects.filter(account__kind="pending", account__merchant=merchant).aggregate(
        t=Sum("amount")
    )["t"]
    assert raw == expected
    assert merchant_balances(merchant, False, "USD")["pending"] == expected
    assert ledger_check_invariants() == []


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


def test_settle_task_moves_due_funds(merchant):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

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
