"""OpenAPI error responses built from the error classes (apps.core.errors).

A view declares the errors it can raise; the schema then lists, per HTTP status, the codes a client
may see — the same classes the services raise, so the documentation cannot drift from the code::

    @extend_schema(responses={200: PaymentIntentOutput, **error_responses(PaymentIntentUnexpectedState)})
"""

from __future__ import annotations

from collections import defaultdict

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from .errors import (
    ApplicationError,
    AuthenticationError,
    IdempotencyError,
    NotFoundError,
    ParameterInvalid,
    ParameterMissing,
    ParameterUnknown,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLarge,
)

ERROR_BODY = inline_serializer(
    "Error",
    fields={
        "error": inline_serializer(
            "ErrorDetail",
            fields={
                "type": serializers.CharField(),
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "param": serializers.CharField(required=False),
                "decline_code": serializers.CharField(required=False),
                "request_id": serializers.CharField(),
            },
        )
    },
)

# Every merchant endpoint can answer these: validation (the parameter is named), auth, scope,
# another merchant's or a missing object, the per-key rate limit and an oversized body.
_COMMON: tuple[type[ApplicationError], ...] = (
    ParameterMissing,
    ParameterInvalid,
    ParameterUnknown,
    IdempotencyError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
    RateLimitError,
    RequestTooLarge,
)

_DESCRIPTIONS = {
    400: "Invalid request (error.param names the parameter) or a state conflict",
    401: "Missing or invalid API key",
    402: "Card error: the card failed validation or was declined",
    403: "The key may not call this endpoint",
    404: "No such object for this merchant and mode",
    409: "A conflicting request is in progress",
    412: "The If-Match precondition failed",
    413: "The request body is too large",
    429: "Too many requests",
}


def error_codes(*classes: type[ApplicationError]) -> dict[int, list[str]]:
    codes: dict[int, set[str]] = defaultdict(set)
    for cls in (*_COMMON, *classes):
        codes[cls.status].add(cls.code)
    return {status: sorted(found) for status, found in sorted(codes.items())}


def error_responses(*classes: type[ApplicationError]) -> dict[int, OpenApiResponse]:
    """`responses=` entries for every status the endpoint may answer with an error."""
    return {
        status: OpenApiResponse(
            response=ERROR_BODY,
            description=f"{_DESCRIPTIONS.get(status, 'Error')}. error.code: {', '.join(codes)}.",
        )
        for status, codes in error_codes(*classes).items()
    }


_LISTS: dict[str, type[serializers.Serializer]] = {}


def list_of(item) -> type[serializers.Serializer]:
    """The list envelope `stripe_list` answers — `{"object": "list", "url", "has_more", "data": [item...]}`
    — as a schema component named `<Item>List` (built once per item, so components don't collide).
    `item` is a serializer class or an `inline_serializer(...)` instance."""
    item_class = item if isinstance(item, type) else type(item)
    list_name = f"{item_class.__name__.removesuffix('Output').removesuffix('Object')}List"
    if list_name not in _LISTS:
        _LISTS[list_name] = type(
            list_name,
            (serializers.Serializer,),
            {
                "object": serializers.ChoiceField(choices=["list"]),
                "url": serializers.CharField(),
                "has_more": serializers.BooleanField(),
                "data": item_class(many=True),
            },
        )
    return _LISTS[list_name]


def search_result_of(item) -> type[serializers.Serializer]:
    """The envelope `stripe_search` answers — `{"object": "search_result", "url", "has_more",
    "next_page", "data": [item...]}` — as a component named `<Item>SearchResult`."""
    item_class = item if isinstance(item, type) else type(item)
    name = f"{item_class.__name__.removesuffix('Output').removesuffix('Object')}SearchResult"
    if name not in _LISTS:
        _LISTS[name] = type(
            name,
            (serializers.Serializer,),
            {
                "object": serializers.ChoiceField(choices=["search_result"]),
                "url": serializers.CharField(),
                "has_more": serializers.BooleanField(),
                "next_page": serializers.CharField(allow_null=True),
                "data": item_class(many=True),
            },
        )
    return _LISTS[name]


IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Retries with the same key and parameters answer the first response.",
}


def idempotency_conflicts(result, generator, request, public):
    """drf-spectacular postprocessing hook: every authenticated POST honours `Idempotency-Key`
    (apps.core.rest.MerchantAPIView): the header is documented, and each may answer 409 while
    another request holds the key."""
    from .errors import IdempotencyKeyInUse

    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if not operation or not operation.get("security"):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        responses = operation.setdefault("responses", {})
        if "409" in responses:
            responses["409"]["description"] += f" Also {IdempotencyKeyInUse.code}."
            continue
        responses["409"] = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "description": f"{_DESCRIPTIONS[409]}. error.code: {IdempotencyKeyInUse.code}.",
        }
    return result
