"""The logging layer: every record gets its request id, and every formatted record is one line
that request data cannot break.

`EscapingFormatter` is the formatter of every handler in `config.settings.LOGGING` (and of
gunicorn's loggers, config/gunicorn.py). It escapes control characters (C0 — CR, LF, NUL, TAB… —
DEL, C1, the Unicode line/paragraph separators and lone surrogates) in the message, its
arguments and any extra string attribute, so a path like `/v1/x%0d%0a2026-01-01 INFO forged`
stays on its own record's line and no NUL reaches the log file. A traceback or stack keeps its
own line breaks, but each of its lines is indented and escaped the same way: a line that starts at
column 0 is always the start of a record, and an exception message with CR/LF in it cannot pose as
one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re

from .context import api_key_prefix_var, get_request_id, merchant_var

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
# C0, DEL, C1, U+2028/U+2029 (line/paragraph separators) and lone surrogates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTINUATION_INDENT = "    "


def _escape_char(match: re.Match) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """`text` with every control character written as an escape (`\\r`, `\\n`, `\\0`, `\\x1b`…)."""
    return _CONTROL.sub(_escape_char, text)


# Attributes every LogRecord has; anything else on a record came from `extra=` or a filter.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def log_formatter(fmt: str | None = None, datefmt: str | None = None) -> logging.Formatter:
    """The formatter LOG_FORMAT chooses: ``json`` (JSON lines) or ``plain`` (escaped text)."""
    if os.environ.get("LOG_FORMAT", "plain").strip().lower() == "json":
        return JsonFormatter()
    return EscapingFormatter(fmt, datefmt)


class EscapingFormatter(logging.Formatter):
    """A `logging.Formatter` whose output cannot be split into forged lines by what it logs."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg = escape_control(redact_secrets(record.getMessage()))
        safe.args = None
        for name, value in record.__dict__.items():
            if name not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(safe, name, escape_control(value))
        if record.exc_info and not record.exc_text:
            # Formatted here (not cached on the shared record) so every handler escapes its copy.
            safe.exc_text = self.formatException(record.exc_info)
        formatted = super().format(safe)
        head, *rest = formatted.split("\n")
        lines = [escape_control(head)]
        lines.extend(_CONTINUATION_INDENT + escape_control(line) for line in rest)
        return "\n".join(lines)


class RequestIdFilter(logging.Filter):
    """The request's id, merchant and key display prefix on every record (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        record.merchant = merchant_var.get() or "-"
        record.api_key = api_key_prefix_var.get() or "-"
        return True


# --- JSON lines (LOG_FORMAT=json) -----------------------------------------------------------------

# A whole API key or webhook signing secret (`sk_test_<lookup><secret>`, `whsec_…`): cut to the
# display prefix, so a key a library or a careless message logged never reaches the log.
_KEY = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]{8})[A-Za-z0-9]+")
_SIGNING_SECRET = re.compile(r"\b(whsec_)[A-Za-z0-9+/=_-]+")
# Digit runs shaped like a card number (13-19 digits, spaces or dashes between).
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_pan(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group())
    return "[card number redacted]" if _luhn(digits) else match.group()


def redact_secrets(text: str) -> str:
    """``text`` without whole API keys, signing secrets or card numbers (Luhn-valid digit runs)."""
    text = _KEY.sub(r"\1…", text)
    text = _SIGNING_SECRET.sub(r"\1…", text)
    return _DIGIT_RUN.sub(_mask_pan, text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id``, ``merchant``, ``api_key`` (the key's display prefix), the record's extra
    attributes, and ``exc`` for a traceback. JSON escapes every control character, so request
    data cannot forge a line; keys, signing secrets and card numbers are cut out of every string."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_secrets(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or get_request_id() or "-",
            "merchant": getattr(record, "merchant", None) or merchant_var.get() or "-",
            "api_key": getattr(record, "api_key", None) or api_key_prefix_var.get() or "-",
        }
        for name, value in record.__dict__.items():
            if name in _STANDARD_ATTRS or name in body or name.startswith("_"):
                continue
            if isinstance(value, str):
                body[name] = redact_secrets(value)
            elif value is None or isinstance(value, (bool, int, float)):
                body[name] = value
            else:
                body[name] = redact_secrets(repr(value))[:1000]
        if record.exc_info:
            body["exc"] = redact_secrets(self.formatException(record.exc_info))
        elif record.exc_text:
            body["exc"] = redact_secrets(record.exc_text)
        if record.stack_info:
            body["stack"] = redact_secrets(self.formatStack(record.stack_info))
        return json.dumps(body, ensure_ascii=False, default=str)
