"""Balance snapshots: balances stay equal to their postings, also under concurrent captures."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from apps.ledger.models import Posting
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.ledger.services import ledger_post_capture, ledger_snapshots_refresh
from tests.ledger.factories import capture


def test_snapshots_keep_balances_equal_to_postings(merchant):
    capture(merchant, "ch_1", 1_000)
    ledger_snapshots_refresh()
    capture(merchant, "ch_2", 2_000)
    assert merchant_balances(merchant, False, "USD")["pending"] == 3_000
    ledger_snapshots_refresh()
    assert merchant_balances(merchant, False, "USD")["pending"] == 3_000
    assert ledger_check_invariants() == []


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
