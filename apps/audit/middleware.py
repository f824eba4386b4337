"""Attaches the staff user and URL to pghistory events written during a request (PostgreSQL only:
the embedded SQLite demo has no triggers, and pghistory's context injection needs set_config)."""

from django.db import connection
from pghistory.middleware import HistoryMiddleware


class HistoryContextMiddleware(HistoryMiddleware):
    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        return super().__call__(request)
