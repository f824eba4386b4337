"""The API's request parsers (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]). On top of DRF's they
refuse, as a 400 naming the parameter, text the database cannot hold (apps/core/text.py), and
parse JSON with a nesting limit, so a deeply nested body is an ordinary 400 and never reaches
the recursive decoder. Size and field-count limits are Django's (DATA_UPLOAD_MAX_MEMORY_SIZE,
DATA_UPLOAD_MAX_NUMBER_FIELDS), answered 413 by the exception handler.

Form bodies and query strings are read by one function, `decode_params`, with the bracket
semantics of Rack and qs (what every Stripe client sends): `metadata[k]=v` is a nested object,
`expand[0]=a&expand[1]=b` and `expand[]=a&expand[]=b` are indexed keys. Nesting is done by
qs-codec; whether `x[0]` is a list is decided by the field that reads it, not by the syntax
(`metadata[0]=v` stays a metadata key): `StrictSerializer` turns an integer-keyed object into a
list only for its list fields (`as_list`)."""

import re
from urllib.parse import unquote_plus

from django.conf import settings
from qs_codec import DecodeOptions, Duplicates
from qs_codec import decode as qs_decode
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .errors import ParameterInvalid, RequestTooLarge
from .text import find_unsafe, param_name, printable, unsafe_message

# Bracketed parameters: deepest nesting (Stripe's deepest is four, `items[0][price_data][recurring]
# [interval]`), and the largest index a list parameter may take.
MAX_PARAM_DEPTH = 6
MAX_LIST_LENGTH = 100

# A parameter name: a head without brackets, then zero or more `[segment]`s, `[]` only last.
_PARAM_NAME = re.compile(r"[^\[\]]+(?:\[[^\[\]]+\])*(?:\[\])?")
_QS_OPTIONS = DecodeOptions(
    depth=MAX_PARAM_DEPTH,
    strict_depth=True,
    parse_lists=False,
    allow_dots=False,
    duplicates=Duplicates.LAST,
    parameter_limit=10**9,  # counted below, where the refusal can name a parameter
    raise_on_limit_exceeded=True,
)

MAX_JSON_DEPTH = 32

# A JSON string (escapes included) or one bracket; the scan skips everything else.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _too_deep(text: str, limit: int) -> tuple[bool, str | None]:
    """Whether `text` nests brackets deeper than `limit`, and the top-level key it happens under."""
    if text.count("[") + text.count("{") <= limit:
        return False, None
    depth, top_key = 0, None
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True, top_key
        elif token in "]}":
            depth -= 1
        elif depth == 1:
            top_key = token
    return False, None


def _refuse_unsafe(data) -> None:
    parts = find_unsafe(data)
    if parts is not None:
        param = param_name(parts)
        raise ParameterInvalid(unsafe_message(param), param=param or None)


def json_loads(text: str, *, strict: bool = True):
    """json.loads with the nesting limit and the text check: the one way request JSON is read."""
    deep, top_key = _too_deep(text, MAX_JSON_DEPTH)
    if deep:
        try:
            param = json.loads(top_key) if top_key is not None else None
        except ValueError:
            param = None
        raise ParameterInvalid(
            f"Invalid request body: JSON may nest at most {MAX_JSON_DEPTH} levels.",
            param=param if isinstance(param, str) and param and find_unsafe(param) is None else None,
        )
    try:
        data = json.loads(text, parse_constant=json.strict_constant if strict else None)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    _refuse_unsafe(data)
    return data


def raw_request_check(body: bytes, headers: dict[str, str]) -> None:
    """For a view that reads the raw request itself (the inbound gateway callback, whose
    signature covers the exact bytes): the same refusals as the parsers, before anything is
    stored. A body that is not JSON is left to the view to judge."""
    for name, value in headers.items():
        if find_unsafe([name, value]) is not None:
            raise ParameterInvalid(unsafe_message(printable(name)), param=printable(name))
    if b"\x00" in body:
        raise ParameterInvalid(unsafe_message("body"), param="body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    if text.lstrip()[:1] in ("{", "["):
        try:
            json_loads(text)
        except ParseError:
            return


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from exc
        return json_loads(text, strict=self.strict)


def _invalid_name(key: str) -> ParameterInvalid:
    name = printable(key)
    return ParameterInvalid(
        f"Invalid parameter name: {name!r}. Use name, name[key] or name[0] (brackets balanced, "
        f"at most {MAX_PARAM_DEPTH} levels).",
        param=name,
    )


def decode_params(text: str, *, max_fields: int | None = None) -> dict:
    """A form body or query string as nested dicts of strings (see the module docstring).

    Refusals name the parameter: a malformed bracket name or one nested deeper than
    MAX_PARAM_DEPTH is 400 `parameter_invalid`; more pairs than DATA_UPLOAD_MAX_NUMBER_FIELDS is
    413 `request_too_large` naming the parameter that holds most of them. A repeated plain key
    keeps its last value, as Rack does."""
    if max_fields is None:
        max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    parts = [part for part in text.split("&") if part]
    if max_fields is not None and len(parts) > max_fields:
        heads: dict[str, int] = {}
        for part in parts:
            head = unquote_plus(part.partition("=")[0]).partition("[")[0]
            heads[head] = heads.get(head, 0) + 1
        biggest = max(heads, key=heads.__getitem__)
        raise RequestTooLarge(
            f"Too many parameters: {len(parts)} (at most {max_fields}); "
            f"{printable(biggest)} alone has {heads[biggest]}.",
            param=printable(biggest),
        )
    flat: dict[str, str] = {}
    appended: dict[str, int] = {}
    for part in parts:
        raw_key, _, raw_value = part.partition("=")
        try:
            key = unquote_plus(raw_key, errors="strict")
            value = unquote_plus(raw_value, errors="strict")
        except UnicodeDecodeError as exc:
            name = printable(unquote_plus(raw_key))
            raise ParameterInvalid(f"Invalid parameter {name}: not UTF-8.", param=name) from exc
        if find_unsafe([key, value]) is not None:
            name = printable(key)
            raise ParameterInvalid(unsafe_message(name), param=name)
        if not _PARAM_NAME.fullmatch(key) or key.count("[") > MAX_PARAM_DEPTH:
            raise _invalid_name(key)
        if key.endswith("[]"):
            prefix = key[:-2]
            index = appended.get(prefix, 0)
            appended[prefix] = index + 1
            key = f"{prefix}[{index}]"
        flat[key] = value
    try:
        data = qs_decode(flat, _QS_OPTIONS)
    except (IndexError, ValueError) as exc:
        raise ParameterInvalid(f"Invalid parameters: {exc}.") from exc
    _check_shapes(data, flat)
    return data


def _check_shapes(data: dict, flat: dict[str, str]) -> None:
    """`a=1&a[b]=2` (a value and an object under one name) is ambiguous: refuse it by name."""
    heads = {}
    for key in flat:
        head, bracket, _ = key.partition("[")
        kind = "nested" if bracket else "plain"
        if heads.setdefault(head, kind) != kind:
            raise ParameterInvalid(
                f"Invalid parameter {printable(head)}: sent both as a value and as {printable(head)}[…].",
                param=printable(head),
            )


def as_list(value, *, param: str = ""):
    """The list a list field reads: a list as it is, or an object whose keys are all integer
    indices (`x[0]`, `x[1]`, … from a form or query string) in index order. Anything else is
    returned unchanged for the field to refuse."""
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(k, str) and k.isascii() and k.isdigit() for k in value)
    ):
        indices = sorted(value, key=int)
        if int(indices[-1]) >= MAX_LIST_LENGTH or len(indices) > MAX_LIST_LENGTH:
            raise ParameterInvalid(
                f"Invalid array {param or 'parameter'}: at most {MAX_LIST_LENGTH} items (indices 0 to "
                f"{MAX_LIST_LENGTH - 1}).",
                param=param or None,
            )
        return [value[k] for k in indices]
    if isinstance(value, list) and len(value) > MAX_LIST_LENGTH:
        raise ParameterInvalid(
            f"Invalid array {param or 'parameter'}: at most {MAX_LIST_LENGTH} items.", param=param or None
        )
    return value


def _looks_like_json(text: str) -> bool:
    start = text.lstrip()[:1]
    if start not in ("{", "["):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class FormParser(parsers.FormParser):
    """`application/x-www-form-urlencoded` with bracketed keys (decode_params). A body that is
    JSON sent without `Content-Type: application/json` (curl's default is form) is refused with
    a message that says so, instead of being read as one odd parameter name."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParameterInvalid(f"Invalid request body: not valid {encoding}.") from exc
        if _looks_like_json(text):
            raise ParameterInvalid(
                "The request body is JSON but its Content-Type is not: send it with "
                "'Content-Type: application/json', or send form parameters (name=value&…)."
            )
        return decode_params(text)
