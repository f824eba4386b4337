"""psycopg's query conversion cached for the long statements of the hot path (issue 21).

psycopg turns each ``%s`` query into its wire form (``_split_query``: a regex pass over the
text) and caches the result only for queries up to 4,096 bytes with at most 50 parameters
(``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH`` / ``_PARAMS``, psycopg 3.3), so that
ORM-generated multi-row INSERTs of every shape do not fill its cache. The hot path's
one-statement transactions (``apps.core.sql.WriteBatch``: a data-modifying CTE over six to ten
rows) are longer than that and have more parameters, yet repeat a handful of texts per process:
parsed again on every confirm, they cost ~1 ms of CPU. Here those queries get their own bounded
LRU (``LONG_QUERY_CACHE_SIZE`` texts), the rest keep psycopg's. The conversion is psycopg's own
function (``_query2pg_client_nocache`` / ``_query2pg_nocache``), so the bytes sent are the same.
"""

from __future__ import annotations

from functools import lru_cache

from psycopg import _queries

LONG_QUERY_CACHE_SIZE = 256

_client_long = lru_cache(maxsize=LONG_QUERY_CACHE_SIZE)(_queries._query2pg_client_nocache)
_server_long = lru_cache(maxsize=LONG_QUERY_CACHE_SIZE)(_queries._query2pg_nocache)


def _long(query, vars) -> bool:
    return vars is not None and (
        len(query) > _queries.MAX_CACHED_STATEMENT_LENGTH or len(vars) > _queries.MAX_CACHED_STATEMENT_PARAMS
    )


class CachedClientQuery(_queries.PostgresClientQuery):
    """Client-side binding (Django's default cursor)."""

    def convert(self, query, vars) -> None:
        if not isinstance(query, (str, bytes)) or not _long(query, vars):
            return super().convert(query, vars)
        query = self._ensure_bytes(query)
        self.template, self._order, self._parts = _client_long(query, self._tx.encoding)
        self.dump(vars)


class CachedServerQuery(_queries.PostgresQuery):
    """Server-side binding (``OPTIONS["server_side_binding"]``)."""

    def convert(self, query, vars) -> None:
        if not isinstance(query, (str, bytes)) or not _long(query, vars):
            return super().convert(query, vars)
        query = self._ensure_bytes(query)
        self.query, self._want_formats, self._order, self._parts = _server_long(query, self._tx.encoding)
        self.dump(vars)


_FACTORIES: dict[type, type] = {}


def with_cached_queries(cursor_class: type) -> type:
    """``cursor_class`` (Django's Cursor or ServerBindingCursor) converting long queries once."""
    cached = _FACTORIES.get(cursor_class)
    if cached is None:
        client = issubclass(cursor_class._query_cls, _queries.PostgresClientQuery)
        query_cls = CachedClientQuery if client else CachedServerQuery
        if cursor_class._query_cls not in (_queries.PostgresClientQuery, _queries.PostgresQuery):
            return cursor_class  # a query class of its own: left as it is
        cached = _FACTORIES[cursor_class] = type(
            cursor_class.__name__, (cursor_class,), {"_query_cls": query_cls}
        )
    return cached
