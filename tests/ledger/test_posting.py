import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from apps.ledger.models import Account, JournalEntry, Posting
from apps.ledger.selectors import balance_get, ledger_check_invariants, merchant_balances
from apps.ledger.services import ledger_post_capture, ledger_post_refund, ledger_snapshots_refresh


def capture(merchant, charge_id="ch_1", amount=10_000, currency="USD", **kw):
    return ledger_post_capture(
        merchant=merchant,
        livemode=False,
        charge_id=charge_id,
        amount=amount,
        currency=currency,
        connector_code="sandbox",
        **kw,
    )


def test_capture_credits_pending_against_connector_clearing(merchant):
    result = capture(merchant)
    postings = {p.account.kind: p.amount for p in result.entry.postings.select_related("account")}
    assert postings == {"connector_clearing": -10_000, "pending": 10_000}
    assert balance_get(merchant=merchant, livemode=False) == {
        "USD": {"pending": 10_000, "available": 0, "reserve": 0}
    }
    assert result.balance_transaction.status == "pending"
    assert ledger_check_invariants() == []


def test_capture_is_idempotent_per_charge(merchant):
    capture(merchant)
    again = capture(merchant)
    assert again.entry is None
    assert JournalEntry.objects.filter(kind="capture").count() == 1


def test_refund_debits_available_then_pending_then_debt(merchant, settle):
    capture(merchant, "ch_a", 3_000)
    settle()
    capture(merchant, "ch_b", 2_000)
    assert merchant_balances(merchant, False, "USD") == {"pending": 2_000, "available": 3_000, "reserve": 0}
    ledger_post_refund(refund_id="re_1", charge_id="ch_a", amount=3_000)
    assert merchant_balances(merchant, False, "USD")["available"] == 0
    ledger_post_refund(refund_id="re_2", charge_id="ch_b", amount=1_500)
    assert merchant_balances(merchant, False, "USD") == {"pending": 500, "available": 0, "reserve": 0}
    # dispute-like shortfall: pending 500 covers part, the rest becomes tracked debt
    from apps.ledger.models import MerchantBalanceState
    from apps.ledger.services import ledger_post_dispute_debit

    ledger_post_dispute_debit(
        merchant=merchant,
        livemode=False,
        dispute_id="dp_1",
        amount=2_000,
        currency="USD",
        connector_code="sandbox",
    )
    assert merchant_balances(merchant, False, "USD") == {"pending": 0, "available": -1_500, "reserve": 0}
    assert MerchantBalanceState.objects.get(merchant=merchant, currency="USD").debt == 1_500
    # the next capture repays the debt before anything goes to pending
    capture(merchant, "ch_c", 1_000)
    assert merchant_balances(merchant, False, "USD") == {"pending": 0, "available": -500, "reserve": 0}
    capture(merchant, "ch_d", 1_000)
    assert merchant_balances(merchant, False, "USD") == {"pending": 500, "available": 0, "reserve": 0}
    assert MerchantBalanceState.objects.get(merchant=merchant, currency="USD").debt == 0
    assert ledger_check_invariants() == []


def test_refund_beyond_capture_is_refused(merchant):
    from apps.ledger.errors import LedgerError

    capture(merchant, "ch_x", 1_000)
    ledger_post_refund(refund_id="re_a", charge_id="ch_x", amount=600)
    with pytest.raises(LedgerError) as exc:
        ledger_post_refund(refund_id="re_b", charge_id="ch_x", amount=401)
    assert exc.value.code == "ledger_refund_exceeds_capture"


def test_snapshots_keep_balances_equal_to_postings(merchant):
    capture(merchant, "ch_1", 1_000)
    ledger_snapshots_refresh()
    capture(merchant, "ch_2", 2_000)
    assert merchant_balances(merchant, False, "USD")["pending"] == 3_000
    ledger_snapshots_refresh()
    assert merchant_balances(merchant, False, "USD")["pending"] == 3_000
    assert ledger_check_invariants() == []


@pytest.mark.django_db(transaction=True)
def test_database_refuses_an_unbalanced_entry(merchant):
    account = Account.objects.create(key="test:a", owner="platform", kind="fees", currency="USD")
    # The check is deferred: the INSERTs succeed, the COMMIT is refused.
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_journalentry (public_id, kind, livemode, source_type, source_id, description,"
            " effective_at, created_at) VALUES ('je_raw', 'adjustment', false, '', '', '', now(), now())"
            " RETURNING id"
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, currency) VALUES (%s, %s, 100, 'USD')",
            [entry_id, account.pk],
        )
    assert not JournalEntry.objects.filter(public_id="je_raw").exists()


@pytest.mark.django_db(transaction=True)
def test_postings_and_entries_are_append_only(merchant):
    capture(merchant)
    posting = Posting.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(amount=1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ledger_journalentry")
