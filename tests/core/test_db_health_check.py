"""apps.core.db: the per-request health check sends no SELECT 1 on a recently used connection,
and still finds a connection the server has dropped (pg_terminate_backend) before a query uses it."""

import select

import psycopg
import pytest
from django.db import connections
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db(transaction=True)


def _request_boundary():
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()


def _select_ones(monkeypatch) -> list[str]:
    sent: list[str] = []
    real = psycopg.Cursor.execute

    def spy(self, query, *args, **kwargs):
        sent.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", spy)
    return sent


@pytest.fixture
def health_checked(settings):
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backend")
    assert type(connection).__module__ == "apps.core.db.base"
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.ensure_connection()
    connection.health_check_enabled = True
    yield connection
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False


def test_recent_connection_needs_no_select_1(health_checked, monkeypatch):
    connection = health_checked
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
    connection.health_check_done = True  # used in this "request"
    _request_boundary()  # end of request
    _request_boundary()  # start of the next
    sent = _select_ones(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 3")
    assert [q for q in sent if q.strip() == "SELECT 1"] == []
    assert any("SELECT 3" in q for q in sent)


def test_idle_connection_is_checked_with_select_1(health_checked, monkeypatch):
    connection = health_checked
    connection._last_request_end = 0.0  # long ago
    connection.health_check_done = False
    sent = _select_ones(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 3")
    assert sent[0].strip() == "SELECT 1"


def test_connection_dropped_by_the_server_is_replaced(health_checked):
    connection = health_checked
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        old_pid = cursor.fetchone()[0]
    connection.health_check_done = True
    _request_boundary()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    finally:
        other.close()
    for _ in range(50):  # the FATAL message and FIN reach our socket
        if select.select([connection.connection.fileno()], [], [], 0.1)[0]:
            break
    _request_boundary()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            new_pid = cursor.fetchone()[0]
    except OperationalError:  # pragma: no cover - what the check exists to prevent
        pytest.fail("the dropped connection was used")
    assert new_pid != old_pid
