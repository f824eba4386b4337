"""Operations endpoints and JSON error pages for paths outside DRF."""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from .context import get_request_id
from .errors import RequestTooLarge
from .exception_handler import TOO_LARGE

logger = logging.getLogger("clearhouse.ops")


@require_GET
def health(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_cache() -> None:
    cache.set("clearhouse:ready", "1", timeout=10)
    if cache.get("clearhouse:ready") != "1":
        raise RuntimeError("cache did not return the value just written")


def _scheduler() -> dict:
    """The beat heartbeat (apps.core.tasks.scheduler_heartbeat_task, every 15 s): reported, not a
    readiness condition — a web process can serve while beat is down, but operators must see it."""
    from django.utils import timezone

    from .models import SchedulerHeartbeat

    row = SchedulerHeartbeat.objects.filter(name="beat").first()
    if row is None:
        return {"state": "missing", "last_heartbeat": None}
    age = (timezone.now() - row.last_run_at).total_seconds()
    return {
        "state": "ok" if age <= settings.SCHEDULER_STALE_SECONDS else "stale",
        "last_heartbeat": int(row.last_run_at.timestamp()),
        "age_seconds": int(age),
    }


@require_GET
def ready(request):
    from . import health

    checks = {}
    for name, check in (("database", _check_database), ("broker", _check_broker), ("cache", _check_cache)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # a readiness probe reports every failure, whatever its type
            logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
    failed = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    if not failed:  # without a database the heartbeat cannot be read
        scheduler = _scheduler()
        body["scheduler"] = scheduler
        body["scheduler_last_heartbeat"] = scheduler["last_heartbeat"]
        body["reports"] = health.reports()
    return JsonResponse(body, status=503 if failed else 200)


# Headers a reverse proxy adds: a request carrying one came through it, so its loopback
# REMOTE_ADDR is the proxy's, not the client's.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    if any(request.META.get(header) for header in _PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_GET
def metrics(request):
    """Prometheus metrics, for a scraper with `Authorization: Bearer $METRICS_TOKEN` or on the
    loopback interface (and not through a proxy); anyone else gets 403."""
    if not _metrics_allowed(request):
        return JsonResponse(
            {
                "error": {
                    "type": "permission_error",
                    "code": "permission_denied",
                    "message": "Metrics need Authorization: Bearer <METRICS_TOKEN> or a loopback client.",
                    "request_id": get_request_id(),
                }
            },
            status=403,
        )
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)


def _wants_json(request) -> bool:
    return request.path.startswith("/v1/") or "application/json" in request.headers.get("Accept", "")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"Unrecognized request URL ({request.method}: {request.path}).",
                    "request_id": get_request_id(),
                }
            },
            status=404,
        )
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def bad_request(request, exception=None):
    """Django's answer to a request it refused before any view ran (handler400): a body over the
    size or field-count limit is 413 `request_too_large` on every path, the admin's included."""
    if isinstance(exception, TOO_LARGE):
        error = RequestTooLarge()
        if _wants_json(request):
            return JsonResponse({"error": {**error.to_dict(), "request_id": get_request_id()}}, status=413)
        return HttpResponse(error.message, status=413, content_type="text/plain; charset=utf-8")
    if _wants_json(request):
        return JsonResponse(
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "invalid_request",
                    "message": "The request could not be understood.",
                    "request_id": get_request_id(),
                }
            },
            status=400,
        )
    from django.views.defaults import bad_request as default_bad_request

    return default_bad_request(request, exception)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            {
                "error": {
                    "type": "api_error",
                    "code": "api_error",
                    "message": "An unexpected error occurred. Quote the request id to support.",
                    "request_id": get_request_id(),
                }
            },
            status=500,
        )
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)


@require_GET
def landing(request):
    """`/`: where to go next (the API reference, the back office, health), instead of a bare 404."""
    from django.shortcuts import render

    return render(request, "core/landing.html", {"api_version": settings.API_VERSION})
