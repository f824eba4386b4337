import ipaddress
import secrets
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.log import log_response
from django.utils.module_loading import import_string

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
            if response.status_code >= 400:
                # Django's handler writes this line after the middlewares return, when the
                # request's id is gone; written here it carries it (and is not written twice).
                log_response(
                    "%s: %s", response.reason_phrase, request.path, response=response, request=request
                )
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


class _StackHandler(BaseHandler):
    """A request handler whose middleware chain is the given list, not settings.MIDDLEWARE:
    what Django's `load_middleware` builds (view, template-response and exception hooks,
    MiddlewareNotUsed), for synchronous middlewares only."""

    def __init__(self, paths: list[str]):
        super().__init__()
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(paths):
            factory = import_string(path)
            if not getattr(factory, "sync_capable", True):
                raise ImproperlyConfigured(f"API_MIDDLEWARE: {path} is not sync-capable.")
            try:
                instance = factory(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


class ApiStackMiddleware:
    """First in MIDDLEWARE: a request under `API_PATH_PREFIX` (`/v1/`) runs through the lean
    `API_MIDDLEWARE` chain instead of the rest of MIDDLEWARE (issue 21). The merchant API
    authenticates by API key on every request and renders JSON: sessions, CSRF, Django's auth
    and OTP, messages and static files have nothing to do there, while request ids, the unsafe
    text guard, the security headers, the host check, pghistory's context and the metrics stay.
    Everything else (the back office, /sandbox/, /health, /metrics, /graphql) keeps the whole
    stack. Works under every handler (WSGI, the test client; ASGI adapts it as a sync one)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = settings.API_PATH_PREFIX
        self.api = _StackHandler(settings.API_MIDDLEWARE)._middleware_chain

    def __call__(self, request):
        if request.path_info.startswith(self.prefix):
            return self.api(request)
        return self.get_response(request)
