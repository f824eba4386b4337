"""Django's PostgreSQL backend with a cheaper per-request health check.

With CONN_HEALTH_CHECKS Django sends ``SELECT 1`` before the first query of every request (one
round trip in ~28 of a confirm, issue 21). What it guards against is a persistent connection the
server has dropped meanwhile: a restart, ``pg_terminate_backend``, ``idle_session_timeout``. In
each of those the server sends its FATAL message and closes the socket, so the socket of a
dropped connection is *readable*, while a healthy idle one has nothing pending (every response
was read in full). So:

- the connection was used less than ``IDLE_RECHECK_SECONDS`` ago and its socket has nothing to
  read: usable, no round trip;
- anything else (idle longer, data or EOF waiting, psycopg already knows it is broken): Django's
  ``SELECT 1``, as before.

A path lost silently (no FIN, e.g. a NAT timeout between hosts) is what the idle re-check
catches; on a local socket it does not happen.
"""

from __future__ import annotations

import select
import time

from django.db.backends.postgresql import base

from .queries import with_cached_queries

IDLE_RECHECK_SECONDS = 30.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_request_end = 0.0

    def get_connection_params(self):
        params = super().get_connection_params()
        factory = params.get("cursor_factory")
        if factory is not None:  # long hot-path statements parsed once per process (queries.py)
            params["cursor_factory"] = with_cached_queries(factory)
        return params

    def is_usable(self):
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if time.monotonic() - self._last_request_end < IDLE_RECHECK_SECONDS:
            try:
                readable, _, _ = select.select([conn.fileno()], [], [], 0)
            except (OSError, ValueError):
                return False
            if not readable:
                return True
        return super().is_usable()

    def close_if_unusable_or_obsolete(self):
        # Called at request start and end. health_check_done is set once the connection is used
        # in a request (close_if_health_check_failed), and reset here: so this marks the end of a
        # request that used the connection, not the start of the next one.
        if self.connection is not None and self.health_check_done:
            self._last_request_end = time.monotonic()
        super().close_if_unusable_or_obsolete()

    @property
    def pool(self):
        pool = super().pool
        if pool is not None and getattr(pool, "_check", None) is _pool_check_connection():
            # Django gives the pool psycopg_pool's check (an empty query per checkout) with
            # CONN_HEALTH_CHECKS; this one sends it only when the socket says the server spoke.
            pool._check = _checked_if_readable
        return pool


def _pool_check_connection():
    from psycopg_pool import ConnectionPool

    return ConnectionPool.check_connection


def _checked_if_readable(conn) -> None:
    """A pooled connection's checkout check: nothing pending on its socket → usable without a
    round trip (a connection the server dropped has its FATAL message and EOF waiting); anything
    pending → psycopg_pool's own check, which raises for a broken one so the pool discards it."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except Exception:  # closed or broken: let the real check say so
        readable = True
    if readable:
        _pool_check_connection()(conn)
