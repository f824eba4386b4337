"""Building blocks every merchant API view uses: the base view (auth, tenancy, scopes,
idempotency), strict input serializers and fields, Stripe-style lists with cursor pagination."""

import json
import re
from datetime import UTC, datetime

from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import (
    NotFoundError,
    ParameterInvalid,
    ParameterInvalidInteger,
    ParameterMissing,
    PermissionDeniedError,
)
from apps.core.expand import MAX_EXPAND_DEPTH, expand_paths, expand_response
from apps.core.idempotency import (
    idempotency_abandon,
    idempotency_begin,
    idempotency_finish,
    request_fingerprint,
)
from apps.core.limits import UNIX_MAX, UNIX_MIN, ascii_int
from apps.core.parsers import as_list, decode_params
from apps.core.text import printable

# Public ids are `<prefix>_<ULID>` (apps/core/ids.py) in a 40-character column: a path id of any
# other shape names nothing, and is answered 404 before anything is stored (idempotency rows included).
_ID_SHAPE = re.compile(r"[A-Za-z0-9_]{1,40}")
_OBJECT_OF_KWARG = {
    "intent_id": "payment_intent",
    "key_id": "api_key",
    "endpoint_id": "webhook_endpoint",
    "account_id": "bank_account",
}


_VERSION_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,40}")


def _record_stripe_version(request) -> None:
    """Stripe clients send `Stripe-Version` on every request. Any value is accepted (Clearhouse
    answers one shape, settings.API_VERSION); the key keeps the last one it saw, written only when
    it changes."""
    version = request.headers.get("Stripe-Version")
    key = getattr(request, "api_key", None)
    if not version or key is None or not _VERSION_SHAPE.fullmatch(version):
        return
    if getattr(key, "last_stripe_version", version) != version:
        type(key).objects.filter(pk=key.pk).update(last_stripe_version=version)
        key.last_stripe_version = version
        write_back = getattr(key, "cache_write_back", None)  # the cached copy learns it too
        if write_back is not None:
            write_back()


def _key_can_read(request, resource: str) -> bool:
    key = getattr(request, "api_key", None)
    if key is None or key.kind != "restricted":
        return key is not None
    granted = set(key.scopes or [])
    return f"{resource}:read" in granted or f"{resource}:write" in granted


class _IdempotentReplay(Exception):
    def __init__(self, response: Response):
        self.response = response


class MerchantAPIView(APIView):
    """Base for every `/v1/` endpoint.

    - `resource`: scope name for restricted keys (`<resource>:read` for GET, `:write` otherwise).
    - `allow_publishable`: False, True, or a set of HTTP methods a publishable key may call.
    - Every POST honours `Idempotency-Key` (stored per merchant and mode).
    """

    resource: str | None = None
    allow_publishable: bool | set[str] = False

    def initial(self, request, *args, **kwargs):
        self._idempotency_record = None
        if request.headers.get("Stripe-Account") is not None:
            raise ParameterInvalid(
                "The Stripe-Account header (Connect: acting for a connected account) is not supported "
                "by Clearhouse. Use the API key of the merchant you act for, and send no Stripe-Account.",
                param="Stripe-Account",
            )
        super().initial(request, *args, **kwargs)
        _log_context(request)
        _record_stripe_version(request)
        # A read's expand[] is checked before anything runs; a write's is read after the view has
        # parsed its body (a view that reads the raw body is never made to parse it).
        self._expand = (
            self._expand_paths(query_data(request).get("expand"), request)
            if request.method == "GET"
            else None
        )
        for name, value in kwargs.items():
            if name.endswith("_id") and not (isinstance(value, str) and _ID_SHAPE.fullmatch(value)):
                raise NotFoundError(
                    _OBJECT_OF_KWARG.get(name, name.removesuffix("_id")), printable(str(value))
                )
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key is not None and getattr(request, "merchant", None) is not None:
            record, stored = idempotency_begin(
                merchant=request.merchant,
                livemode=request.livemode,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=request_fingerprint(method=request.method, path=request.path, data=request.data),
            )
            if stored is not None:
                response = Response(stored.response_body, status=stored.response_status)
                response["Idempotent-Replayed"] = "true"
                response["Original-Request"] = stored.key
                # The stored outcome is final: an SDK that retries 5xx (stripe-python does) stops here.
                response["Stripe-Should-Retry"] = "false"
                raise _IdempotentReplay(response)
            self._idempotency_record = record

    def handle_exception(self, exc):
        if isinstance(exc, _IdempotentReplay):
            return exc.response
        return super().handle_exception(exc)

    @staticmethod
    def _expand_paths(raw, request) -> list[str]:
        if raw is None:
            return []
        key = getattr(request, "api_key", None)
        if key is not None and key.kind == "publishable":
            raise PermissionDeniedError(
                "expand needs a secret or restricted key.", code="secret_key_required"
            )
        paths = expand_paths(raw)
        for index, path in enumerate(paths):
            if len(path.split(".")) > MAX_EXPAND_DEPTH or not all(path.split(".")):
                raise ParameterInvalid(
                    f"Invalid expand path {printable(path)!r}: at most {MAX_EXPAND_DEPTH} levels.",
                    param=f"expand[{index}]",
                )
        return paths

    def _expanded(self, request, response):
        """The response with `expand[]` applied. A path that cannot be expanded is 400 on a read;
        on a write the work is done already, so the response keeps the ids rather than hide it."""
        paths = getattr(self, "_expand", None)
        merchant = getattr(request, "merchant", None)
        if merchant is None or not 200 <= response.status_code < 300:
            return response
        if paths is None:
            parsed = getattr(request, "_full_data", None)
            raw = parsed.get("expand") if isinstance(parsed, dict) else None
            try:
                paths = self._expand_paths(raw, request)
            except (ParameterInvalid, PermissionDeniedError):
                paths = []
        if not paths:
            return response
        if not isinstance(response.data, dict):
            return response
        try:
            expand_response(
                response.data,
                paths,
                merchant=merchant,
                livemode=request.livemode,
                can_read=lambda resource: _key_can_read(request, resource),
            )
        except (ParameterInvalid, PermissionDeniedError) as exc:
            if request.method == "GET":
                return self.handle_exception(exc)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = self._expanded(request, response)
        response = super().finalize_response(request, response, *args, **kwargs)
        rate = getattr(request, "_rate_limit", None)
        if rate is not None:
            response["RateLimit-Limit"], response["RateLimit-Remaining"], response["RateLimit-Reset"] = map(
                str, rate
            )
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            if getattr(response, "idempotent_store", True):
                body = (
                    json.loads(json.dumps(response.data, default=str)) if response.data is not None else None
                )
                # Secrets shown once (new API keys, webhook signing secrets) are never stored for replay.
                for field in getattr(response, "idempotent_redact", ()):
                    if isinstance(body, dict) and field in body:
                        body[field] = None
                idempotency_finish(record, status=response.status_code, body=body)
            else:
                idempotency_abandon(record)
        return response


# --- input (apps.core.inputs) ------------------------------------------------------------------

from apps.core.inputs import (  # noqa: E402, F401  (the API's one import place for them)
    AmountField,
    CurrencyField,
    MetadataField,
    StrictBooleanField,
    StrictIntegerField,
    StrictSerializer,
    UnixTimestampField,
)

# --- output -----------------------------------------------------------------------------------


def query_data(request) -> dict:
    """The query string as nested parameters, read the way form bodies are (apps/core/parsers.py:
    `created[gte]=1` → {"created": {"gte": "1"}}, `types[0]=a&types[1]=b` or `types[]=a&…`).
    Read once per request. `request.query_params` keeps the flat view."""
    cached = getattr(request, "_clearhouse_query_data", None)
    if cached is None:
        cached = decode_params(request.META.get("QUERY_STRING", ""))
        request._clearhouse_query_data = cached
    return cached


def list_param(request, name: str, *, max_length: int = 100) -> list[str] | None:
    """A list query parameter (`name[0]=a&name[1]=b`, `name[]=a`, or a single `name=a`) as a
    list of strings, or None when absent. Anything else is 400 naming it."""
    value = query_data(request).get(name)
    if value is None:
        return None
    value = as_list(value, param=name)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParameterInvalid(
            f"Invalid {name}: expected a list of strings ({name}[0]=…&{name}[1]=…).", param=name
        )
    if len(value) > max_length:
        raise ParameterInvalid(f"Invalid {name}: at most {max_length} items.", param=name)
    return value


def _int_param(request, name: str, *, minimum: int, maximum: int, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = ascii_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise ParameterInvalidInteger(
            f"Invalid {name}: must be an integer from {minimum} to {maximum}.", param=name
        )
    return value


def timestamp_param(raw: str, *, param: str) -> datetime:
    """A query parameter in unix seconds, as an aware datetime; anything else (not ASCII digits,
    negative, past year 9999) is 400 `parameter_invalid_integer` naming the parameter."""
    seconds = ascii_int(raw, minimum=UNIX_MIN, maximum=UNIX_MAX)
    if seconds is None:
        raise ParameterInvalidInteger(
            f"Invalid timestamp: {printable(raw)!r}. Use unix seconds from {UNIX_MIN} to {UNIX_MAX}.",
            param=param,
        )
    return datetime.fromtimestamp(seconds, tz=UTC)


def created_filter(
    queryset, request, *, field: str = "created_at", param: str = "created", as_date: bool = False
):
    """Applies `<param>[gte|gt|lte|lt]=<unix seconds>` to a datetime field (or, with `as_date`,
    to a date field, comparing the timestamp's UTC date)."""
    for op in ("gte", "gt", "lte", "lt"):
        name = f"{param}[{op}]"
        raw = request.query_params.get(name)
        if raw is None:
            continue
        moment = timestamp_param(raw, param=name)
        queryset = queryset.filter(**{f"{field}__{op}": moment.date() if as_date else moment})
    return queryset


def _log_context(request) -> None:
    """The merchant and the key's display prefix on every log record of this request
    (apps.core.logging); the middleware resets them when the request ends."""
    from .context import api_key_prefix_var, merchant_var

    merchant = getattr(request, "merchant", None)
    if merchant is not None:
        merchant_var.set(getattr(merchant, "public_id", "") or "")
    key = getattr(request, "api_key", None)
    if key is not None:
        api_key_prefix_var.set(getattr(key, "display_prefix", "") or "")


def stripe_list(
    request,
    queryset,
    serialize,
    *,
    url: str | None = None,
    cursor_field: str = "public_id",
    prepare=None,
) -> Response:
    """`{"object": "list", "data": [...], "has_more": bool}`, newest first, keyset-paginated on the
    time-sortable public id (no OFFSET, so deep pages cost the same as the first)."""
    limit = _int_param(request, "limit", minimum=1, maximum=100, default=10)
    starting_after = request.query_params.get("starting_after")
    ending_before = request.query_params.get("ending_before")
    if starting_after and ending_before:
        raise ParameterInvalid(
            "You may only specify one of starting_after and ending_before.", param="ending_before"
        )
    for name, value in (("starting_after", starting_after), ("ending_before", ending_before)):
        if value is not None and (not value or len(value) > 64 or "_" not in value):
            raise ParameterInvalid(f"Invalid cursor: {value!r}.", param=name)
    cursor = starting_after or ending_before
    if cursor and not queryset.filter(**{cursor_field: cursor}).exists():
        # Stripe answers an unknown cursor with 404, never with page 1 (a client that lost its
        # place must not silently start again from the top).
        model = re.sub(r"(?<!^)(?=[A-Z])", "_", queryset.model.__name__).lower()
        raise NotFoundError(
            model, printable(cursor), param="starting_after" if starting_after else "ending_before"
        )
    if ending_before:
        rows = list(
            queryset.filter(**{f"{cursor_field}__gt": ending_before}).order_by(cursor_field)[: limit + 1]
        )
        has_more = len(rows) > limit
        rows = list(reversed(rows[:limit]))
    else:
        if starting_after:
            queryset = queryset.filter(**{f"{cursor_field}__lt": starting_after})
        rows = list(queryset.order_by(f"-{cursor_field}")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
    return Response(
        {
            "object": "list",
            "url": url or request.path,
            "has_more": has_more,
            "data": [serialize(r) for r in (prepare(rows) if prepare else rows)],
        }
    )


def stripe_search(
    request,
    queryset,
    serialize,
    *,
    fields: dict,
    url: str | None = None,
    cursor_field: str = "public_id",
    prepare=None,
    query_required: bool = True,
) -> Response:
    """`GET /v1/<resource>/search?query=…`: Stripe's `search_result` object (`data`, `has_more`,
    `next_page`), newest first. `fields` maps the query's field names to `apps.core.search.
    SearchField`s; `page` is the `next_page` token of the previous page."""
    from apps.core.search import search_q

    query = request.query_params.get("query")
    if query is not None:
        queryset = queryset.filter(search_q(query, fields))
    elif query_required:
        raise ParameterMissing("Missing required param: query.", param="query")
    limit = _int_param(request, "limit", minimum=1, maximum=100, default=10)
    page = request.query_params.get("page")
    if page:
        if len(page) > 64 or not _ID_SHAPE.fullmatch(page):
            raise ParameterInvalid(f"Invalid page: {printable(page)!r}.", param="page")
        queryset = queryset.filter(**{f"{cursor_field}__lt": page})
    rows = list(queryset.order_by(f"-{cursor_field}")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Response(
        {
            "object": "search_result",
            "url": url or request.path,
            "has_more": has_more,
            "next_page": getattr(rows[-1], cursor_field) if has_more and rows else None,
            "data": [serialize(r) for r in (prepare(rows) if prepare else rows)],
        }
    )
