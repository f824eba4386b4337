"""The posting primitive and what the database enforces: balanced, append-only entries."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from apps.ledger.models import Account, JournalEntry, Posting
from tests.ledger.factories import capture


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
