"""Per-request context (request id, client ip) that services and logs read without threading
the request through every call."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="")
# Who the request authenticated as, for the logs: the merchant's public id and the key's display
# prefix (`sk_test_` + 8 characters of its lookup, never its secret part).
merchant_var: ContextVar[str] = ContextVar("merchant", default="")
api_key_prefix_var: ContextVar[str] = ContextVar("api_key_prefix", default="")


def get_request_id() -> str:
    return request_id_var.get()


def get_client_ip() -> str:
    return client_ip_var.get()


base_url_var: ContextVar[str] = ContextVar("base_url", default="")

DEFAULT_BASE_URL = "http://localhost:8000"


def public_base_url() -> str:
    """Where a shopper's browser reaches this server (3DS and wallet `next_action` URLs, hosted
    pages): settings.PUBLIC_BASE_URL when set (behind a proxy or a public host name, set it),
    otherwise the scheme and host the current request came in on, otherwise localhost:8000."""
    from django.conf import settings

    configured = getattr(settings, "PUBLIC_BASE_URL", "")
    return (configured or base_url_var.get() or DEFAULT_BASE_URL).rstrip("/")
