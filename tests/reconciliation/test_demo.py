import io

import pytest

from apps.reconciliation import demo
from apps.reconciliation.models import Discrepancy, LedgerItem, ReconciliationRun

pytestmark = pytest.mark.django_db


def test_demo_has_a_reconciled_day_and_a_day_with_the_injected_discrepancies_and_is_idempotent(merchant):
    out = io.StringIO()
    demo.load(merchant, out)
    demo.load(merchant, out)
    run = ReconciliationRun.objects.get()
    assert run.status == "completed", run.error
    yesterday = run.interval_start
    assert set(LedgerItem.objects.filter(effective_on=yesterday).values_list("status", flat=True)) == {
        "matched"
    }
    assert not Discrepancy.objects.filter(day=yesterday).exists()
    types = set(Discrepancy.objects.filter(status="open").values_list("type", flat=True))
    assert types >= {
        "missing",
        "amount_under",
        "fee_mismatch",
        "duplicate_line",
        "currency_mismatch",
        "unknown_reference",
        "payout_mismatch",
        "status_mismatch",
        "bank_credit_missing",
    }
    status = Discrepancy.objects.get(type="status_mismatch")
    assert status.diffs == [{"field": "status", "ours": "failed", "theirs": "settled"}]
    assert status.line.gross == 4289 and status.merchant == merchant
    bank = Discrepancy.objects.get(type="bank_credit_missing")
    assert bank.currency == "EUR" and bank.diffs == [
        {"field": "bank_credit", "ours": bank.batch.net, "theirs": None}
    ]
    assert bank.difference == -bank.batch.net and bank.batch.bank_line_id is None
    # The USD batch of the faulted day was paid (short): a payout mismatch, not a missing credit.
    assert Discrepancy.objects.get(type="payout_mismatch").currency == "USD"
