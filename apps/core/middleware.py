import ipaddress
import secrets
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve

from .context import (
    api_key_prefix_var,
    base_url_var,
    client_ip_var,
    get_request_id,
    merchant_var,
    request_id_var,
)
from .text import is_unsafe, printable, unsafe_message


def _request_base_url(request) -> str:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return ""


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip_of(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy (TRUSTED_PROXIES, the
    loopback by default: the shipped nginx, config/nginx.conf) that names the client in
    X-Real-IP — nginx overwrites that header, so a client cannot choose it. Risk's velocity
    counters and card-testing guard and the audit log key on this address: behind the proxy,
    REMOTE_ADDR alone would make every shopper the same IP."""
    remote = request.META.get("REMOTE_ADDR", "")
    address = _ip(remote)
    if address is None or not any(
        address in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    ):
        return remote
    forwarded = _ip(request.META.get("HTTP_X_REAL_IP", ""))
    return str(forwarded) if forwarded is not None else remote


class RequestIdMiddleware:
    """Gives every request a `req_…` id, exposes it as the `Request-Id` response header and
    makes it available to logs, audit entries and error bodies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = "req_" + secrets.token_hex(12)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip_of(request))
        base_token = base_url_var.set(_request_base_url(request))
        merchant_token, key_token = merchant_var.set(""), api_key_prefix_var.set("")
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
            base_url_var.reset(base_token)
            merchant_var.reset(merchant_token)
            api_key_prefix_var.reset(key_token)
        response["Request-Id"] = request_id
        return response


class UnsafeTextMiddleware:
    """Refuses, with 400 naming the parameter, a path or query string holding text the database
    cannot store (NUL, unpaired surrogates: apps/core/text.py) before any view sees it — the API,
    the back office and the sandbox pages alike. Bodies are checked by the API's parsers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        param = self._unsafe_param(request)
        if param is not None:
            return self._refuse(request, param)
        return self.get_response(request)

    @staticmethod
    def _unsafe_param(request) -> str | None:
        if is_unsafe(request.path_info):
            try:
                kwargs = resolve(request.path_info).kwargs
            except Resolver404:
                return "path"
            return "id" if any(isinstance(v, str) and is_unsafe(v) for v in kwargs.values()) else "path"
        for key, values in request.GET.lists():
            if is_unsafe(key) or any(is_unsafe(value) for value in values):
                return printable(key)
        return None

    @staticmethod
    def _refuse(request, param: str):
        message = unsafe_message(param)
        if request.path.startswith("/v1/") or "application/json" in request.headers.get("Accept", ""):
            body = {"type": "invalid_request_error", "code": "parameter_invalid", "message": message}
            return JsonResponse(
                {"error": {**body, "param": param, "request_id": get_request_id()}}, status=400
            )
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
