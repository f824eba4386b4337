"""50 concurrent payouts against one balance, each on its own connection: never overdrawn."""

import threading

import pytest
from django.db import connection

from apps.core.errors import StateConflictError
from apps.ledger.selectors import ledger_available_balance, ledger_check_invariants
from apps.payouts import services
from apps.payouts.models import Payout
from tests.ledger.factories import fund
from tests.payouts.factories import ACTOR, us_bank


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_payouts_never_overdraw(merchant):
    fund(merchant, 100_000)
    us_bank(merchant)
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            services.payout_create(
                merchant=merchant, livemode=False, amount=3_000, currency="USD", actor=ACTOR
            )
            result = "ok"
        except StateConflictError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 33  # 33 * 3000 <= 100000 < 34 * 3000
    assert outcomes.count("balance_insufficient") == 17
    assert Payout.objects.count() == 33
    assert ledger_available_balance(merchant=merchant, livemode=False, currency="USD") == 1_000
    assert ledger_check_invariants() == []
