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

import logging
import re

from .context import get_request_id

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


class EscapingFormatter(logging.Formatter):
    """A `logging.Formatter` whose output cannot be split into forged lines by what it logs."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg = escape_control(record.getMessage())
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
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        return True
