"""Turns every exception raised under DRF into the one error shape of DESIGN.md §2."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from .context import get_request_id
from .errors import ApplicationError, RequestTooLarge

# Django's refusals to read an oversized request body, wherever the body is first read.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)

logger = logging.getLogger("clearhouse.api")

_CODE_MAP = {
    "required": "parameter_missing",
    "null": "parameter_missing",
    "blank": "parameter_missing",
    "unknown": "parameter_unknown",
    "invalid_integer": "parameter_invalid_integer",
    "max_value": "parameter_invalid_integer",
    "min_value": "parameter_invalid_integer",
    "max_string_length": "parameter_invalid_integer",
}


def _param_path(parts: list[str]) -> str:
    if not parts:
        return ""
    head, *rest = parts
    return head + "".join(f"[{p}]" for p in rest)


def _first_error(detail, path: list[str]):
    """Depth-first: the first leaf ErrorDetail and the parameter path that leads to it."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            sub = path if key in ("non_field_errors", "__all__") else [*path, str(key)]
            found = _first_error(value, sub)
            if found:
                return found
    elif isinstance(detail, list):
        if detail and all(not isinstance(d, (dict, list)) for d in detail):
            return detail[0], path
        for index, value in enumerate(detail):
            if value in ({}, [], None):
                continue
            found = _first_error(value, [*path, str(index)] if isinstance(value, (dict, list)) else path)
            if found:
                return found
    elif detail is not None:
        return detail, path
    return None


def validation_error_body(exc: drf.ValidationError) -> dict:
    found = _first_error(exc.detail, [])
    if not found:
        return {"type": "invalid_request_error", "code": "parameter_invalid", "message": "Invalid request."}
    error, path = found
    drf_code = getattr(error, "code", "invalid")
    code = _CODE_MAP.get(drf_code) or (
        drf_code if drf_code.startswith(("parameter_", "invalid_", "amount_")) else "parameter_invalid"
    )
    param = _param_path(path)
    message = str(error)
    if code == "parameter_missing" and param:
        message = f"Missing required param: {param}."
    body = {"type": "invalid_request_error", "code": code, "message": message}
    if param:
        body["param"] = param
    return body


def error_response(body: dict, status: int, headers: dict | None = None) -> Response:
    body = {**body, "request_id": get_request_id()}
    return Response({"error": body}, status=status, headers=headers)


def handler(exc, context):
    if isinstance(exc, TOO_LARGE):
        exc = RequestTooLarge()
    if isinstance(exc, ApplicationError):
        response = error_response(exc.to_dict(), exc.status)
        response.idempotent_store = exc.stored
        return response
    if isinstance(exc, drf.ValidationError):
        response = error_response(validation_error_body(exc), 400)
        response.idempotent_store = False
        return response
    headers = {}
    if isinstance(exc, drf.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    mapping = [
        (
            drf.ParseError,
            400,
            "invalid_request_error",
            "parse_error",
            "Invalid request body: the JSON could not be parsed.",
        ),
        (drf.UnsupportedMediaType, 415, "invalid_request_error", "unsupported_media_type", None),
        (
            drf.NotAuthenticated,
            401,
            "authentication_error",
            "api_key_missing",
            "No API key provided. Send it as 'Authorization: Bearer sk_test_…'.",
        ),
        (drf.AuthenticationFailed, 401, "authentication_error", "api_key_invalid", None),
        (drf.PermissionDenied, 403, "permission_error", "permission_denied", None),
        (DjangoPermissionDenied, 403, "permission_error", "permission_denied", "Permission denied."),
        (drf.NotFound, 404, "invalid_request_error", "resource_missing", None),
        (Http404, 404, "invalid_request_error", "resource_missing", "No such resource."),
        (drf.MethodNotAllowed, 405, "invalid_request_error", "method_not_allowed", None),
        (drf.NotAcceptable, 406, "invalid_request_error", "not_acceptable", None),
        (drf.Throttled, 429, "rate_limit_error", "rate_limit", None),
    ]
    for cls, status, err_type, code, message in mapping:
        if isinstance(exc, cls):
            detail = getattr(exc, "detail", None)
            response = error_response(
                {"type": err_type, "code": code, "message": message or str(detail or exc)}, status, headers
            )
            response.idempotent_store = False
            return response
    logger.exception("Unhandled error while serving %s", context.get("request") and context["request"].path)
    return error_response(
        {
            "type": "api_error",
            "code": "api_error",
            "message": "An unexpected error occurred. It has been logged; quote the request id to support.",
        },
        500,
    )
