"""Property: after a run past the SLA, every ledger movement of the day is matched or has an open
discrepancy — whatever mix of amounts (faults included) the day had."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.connectors.models import SandboxTransaction
from apps.ledger.models import JournalEntry
from apps.reconciliation.models import Discrepancy, LedgerItem

from .factories import charge_paid, ingest_acquirer_file, ingest_bank_statement, run, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db

AMOUNTS = st.integers(min_value=1, max_value=40).map(lambda n: n * 100) | st.sampled_from(
    [2091, 2092, 2093, 2094, 2095, 2096, 2097, 2098, 1500]
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(AMOUNTS, min_size=1, max_size=4))
def test_every_ledger_movement_ends_matched_or_as_an_open_discrepancy(api, merchant, amounts):
    # Settlement files, batches and lines refuse DELETE (append-only): a fresh example truncates them.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (TRUNCATE refuses pending deferred checks)
        cursor.execute(
            "TRUNCATE reconciliation_discrepancy, reconciliation_ledgeritem, reconciliation_settlementline,"
            " reconciliation_settlementbatch, reconciliation_bankline, reconciliation_settlementfile"
        )
    SandboxTransaction.objects.all().delete()
    sandbox_fee_rule()
    for amount in amounts:
        charge_paid(api, merchant, amount)
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    done = run()
    assert done.status == "completed", done.error
    movements = JournalEntry.objects.filter(kind="capture", merchant=merchant).count()
    items = LedgerItem.objects.filter(merchant=merchant)
    assert items.count() == movements
    for item in items:
        assert item.status == "matched" or Discrepancy.objects.filter(item=item, status="open").exists(), item
