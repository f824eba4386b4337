"""DATABASE_POOL (Django's psycopg pool, config/settings.py): the pool's checkout check sends
nothing on a healthy idle connection and discards one the server has dropped."""

import select

import psycopg
import pytest
from django.db import connection

from apps.core.db.base import DatabaseWrapper, _checked_if_readable
from tests.servers import database_url_for_current_test_db

pytestmark = pytest.mark.django_db(transaction=True)


def _dsn() -> str:
    return database_url_for_current_test_db().replace("postgres://", "postgresql://", 1)


def _sent(monkeypatch) -> list[str]:
    sent: list[str] = []
    real = psycopg.Connection.execute

    def spy(self, query, *args, **kwargs):
        sent.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", spy)
    return sent


def test_a_healthy_idle_connection_passes_the_checkout_check_without_a_round_trip(monkeypatch):
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute("SELECT 1").fetchall()
        sent = _sent(monkeypatch)
        _checked_if_readable(conn)
        assert sent == []


def test_a_connection_the_server_dropped_fails_the_checkout_check():
    with psycopg.connect(_dsn(), autocommit=True) as conn, psycopg.connect(_dsn(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
        select.select([conn.fileno()], [], [], 5)  # the FATAL message arrives
        with pytest.raises(psycopg.OperationalError):
            _checked_if_readable(conn)


def test_the_backend_gives_django_s_pool_the_socket_check():
    settings_dict = {
        **connection.settings_dict,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,  # as config/settings.py sets it (another test may have changed it)
        "OPTIONS": {**connection.settings_dict.get("OPTIONS", {}), "pool": {"min_size": 1, "max_size": 1}},
    }
    pooled = DatabaseWrapper(settings_dict, alias="pool_check_test")
    try:
        assert pooled.pool._check is _checked_if_readable
        with pooled.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        pooled.close()  # back to the pool
        with pooled.cursor() as cursor:  # checked out again through the socket check
            cursor.execute("SELECT 2")
            assert cursor.fetchone() == (2,)
        pooled.close()
    finally:
        pooled.close_pool()
