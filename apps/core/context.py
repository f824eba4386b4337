"""Per-request context (request id, client ip) that services and logs read without threading
the request through every call."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="")


def get_request_id() -> str:
    return request_id_var.get()


def get_client_ip() -> str:
    return client_ip_var.get()
