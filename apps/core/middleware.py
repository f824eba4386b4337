import secrets

from .context import client_ip_var, request_id_var


class RequestIdMiddleware:
    """Gives every request a `req_…` id, exposes it as the `Request-Id` response header and
    makes it available to logs, audit entries and error bodies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = "req_" + secrets.token_hex(12)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(request.META.get("REMOTE_ADDR", ""))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
        response["Request-Id"] = request_id
        return response
