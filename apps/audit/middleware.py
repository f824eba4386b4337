"""Attaches the staff user and URL to pghistory events written during a request (PostgreSQL only:
the embedded SQLite demo has no triggers, and pghistory's context injection needs set_config).

pghistory's context costs a `set_config` round trip before every query, so it is attached only
where tracked configuration can change: the back office and the configuration endpoints of the
API. Elsewhere (the payment hot path) the triggers still record every change; the audit entry of
the service that made it names the actor and request."""

from django.db import connection
from pghistory.middleware import HistoryMiddleware

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CONFIG_API_PREFIXES = (
    "/v1/settings",
    "/v1/api_keys",
    "/v1/webhook_endpoints",
    "/v1/bank_accounts",
    "/v1/payout_schedule",
)


def _tracks(request) -> bool:
    if request.path.startswith("/admin/"):
        return True
    return request.method not in SAFE_METHODS and request.path.startswith(CONFIG_API_PREFIXES)


class HistoryContextMiddleware(HistoryMiddleware):
    def __call__(self, request):
        if connection.vendor != "postgresql" or not _tracks(request):
            return self.get_response(request)
        return super().__call__(request)
