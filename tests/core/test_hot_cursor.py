"""The hot path's prepared statements (apps.core.sql.hot_cursor, issue 21)."""

import pghistory
import pytest
from django.db import connection
from django.utils import timezone

from apps.core.models import IdempotencyKey
from apps.core.sql import WriteBatch, hot_cursor

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]

PROBE = "SELECT %s::int + 41 AS hot_cursor_probe"


def _prepared(text: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"])
        return cursor.fetchone()[0]


def test_hot_statement_is_prepared_once_per_connection_and_answers():
    assert _prepared("hot_cursor_probe") == 0
    for n in range(3):
        with hot_cursor() as cursor:
            cursor.execute(PROBE, [n])
            assert cursor.fetchone() == (41 + n,)
    assert _prepared("hot_cursor_probe") == 1


def test_without_prepare_threshold_nothing_is_prepared(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    with hot_cursor() as cursor:
        cursor.execute(PROBE, [1])
        assert cursor.fetchone() == (42,)
    assert _prepared("hot_cursor_probe") == 0


def test_write_batch_inside_a_history_context(merchant):
    """pghistory's context prepends a set_config command (the configuration API, the back office):
    the batch goes client-bound instead of failing as two commands in one prepared statement."""
    record = IdempotencyKey(merchant=merchant, livemode=False, key="hist-1", request_method="POST",
                            request_path="/v1/api_keys", request_hash="h", expires_at=timezone.now())  # fmt: skip
    with pghistory.context(user=1):
        batch = WriteBatch()
        batch.insert([record])
        batch.execute()
    assert IdempotencyKey.objects.get(pk=record.pk).key == "hist-1"
