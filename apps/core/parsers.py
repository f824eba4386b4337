"""The API's request parsers (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]). On top of DRF's they
refuse, as a 400 naming the parameter, text the database cannot hold (apps/core/text.py), and
parse JSON with a nesting limit, so a deeply nested body is an ordinary 400 and never reaches
the recursive decoder. Size and field-count limits are Django's (DATA_UPLOAD_MAX_MEMORY_SIZE,
DATA_UPLOAD_MAX_NUMBER_FIELDS), answered 413 by the exception handler."""

import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .errors import ParameterInvalid
from .text import find_unsafe, param_name, printable, unsafe_message

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


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        for key, values in data.lists():
            if find_unsafe([key, *values]) is not None:
                param = printable(key)
                raise ParameterInvalid(unsafe_message(param), param=param)
        return data
