"""Text the database cannot hold: PostgreSQL refuses NUL in text and JSON, and lone UTF-16
surrogates (which JSON's `\\ud800` escapes can produce) are not Unicode at all. Every text that
comes from a request is checked once, where the request is parsed: the path and query string in
`UnsafeTextMiddleware`, bodies in the API's parsers (apps/core/parsers.py), the inbound gateway
callback in its view."""

import re

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def is_unsafe(value: str) -> bool:
    return bool(_UNSAFE.search(value))


def printable(value: str, limit: int = 64) -> str:
    """A form of `value` safe to echo in an error message or a log line."""
    text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return text if len(text) <= limit else text[:limit] + "…"


def param_name(parts: list[str]) -> str:
    if not parts:
        return ""
    head, *rest = parts
    return head + "".join(f"[{p}]" for p in rest)


def find_unsafe(data, path: tuple[str, ...] = ()) -> list[str] | None:
    """The parameter path (as parts) of the first key or string value holding unsafe text, or
    None. A bad key is reported by its container (the key itself cannot be echoed as it is)."""
    stack = [(data, list(path))]
    while stack:
        value, parts = stack.pop()
        if isinstance(value, str):
            if is_unsafe(value):
                return parts
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and is_unsafe(key):
                    return parts or [printable(key)]
                stack.append((item, [*parts, str(key)]))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, [*parts, str(index)]) for index, item in enumerate(value))
    return None


def unsafe_message(param: str) -> str:
    return (
        f"Invalid string in {param or 'the request'}: NUL characters and unpaired surrogates are not allowed."
    )
