"""Long statements (over psycopg's 4,096 bytes or 50 parameters, as the hot path's one-statement
transactions are) are converted once per process (apps/core/db/queries.py) and still send the
same query with each call's own values."""

import pytest
from django.db import connection

from apps.core.db import queries

pytestmark = pytest.mark.django_db


def _long_select(values):
    sql = "SELECT " + ", ".join(["%s::int"] * len(values)) + " -- " + "x" * 4200
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return list(cursor.fetchone())


def test_a_long_statement_is_parsed_once_and_binds_each_calls_values():
    if connection.vendor != "postgresql":
        pytest.skip("psycopg only")
    before = queries._client_long.cache_info()
    assert _long_select(list(range(60))) == list(range(60))
    assert _long_select(list(range(100, 160))) == list(range(100, 160))
    after = queries._client_long.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 1


def test_short_statements_keep_psycopgs_own_cache():
    if connection.vendor != "postgresql":
        pytest.skip("psycopg only")
    before = queries._client_long.cache_info()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int + %s::int", [1, 2])
        assert cursor.fetchone()[0] == 3
    assert queries._client_long.cache_info() == before


def test_the_hot_paths_prepared_cursor_converts_a_long_statement_once():
    """apps.core.sql.hot_cursor's server-binding cursor (the one-statement CTEs) uses the same
    cache: before, it was built on Django's class directly and parsed them on every run."""
    if connection.vendor != "postgresql":
        pytest.skip("psycopg only")
    from apps.core.sql import hot_cursor

    connection.ensure_connection()
    if connection.connection.prepare_threshold is None or connection.execute_wrappers:
        pytest.skip("hot_cursor falls back to Django's client-binding cursor here")
    sql = "SELECT " + ", ".join(["%s::int"] * 60) + " -- " + "y" * 4200
    before = queries._server_long.cache_info()
    for base in (0, 100):
        values = list(range(base, base + 60))
        with hot_cursor() as cursor:
            cursor.execute(sql, values)
            assert list(cursor.fetchone()) == values
    after = queries._server_long.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 1
