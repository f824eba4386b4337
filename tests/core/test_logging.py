"""Logs cannot be forged: control characters in anything logged are escaped by the formatter of
the configured handlers (apps.core.logging.EscapingFormatter in settings.LOGGING)."""

import io
import logging
import sys

import pytest

from apps.core.logging import EscapingFormatter, escape_control
from apps.merchants.authentication import ApiKeyAuthentication

FORGED = "2026-01-01 00:00:00,000 INFO clearhouse forged"


@pytest.fixture
def console_log():
    """The output of the real console handler from settings.LOGGING (its formatter and filters)."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, EscapingFormatter)]
    assert handlers, "settings.LOGGING's console handler uses EscapingFormatter"
    handler = handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def assert_unforgeable(text: str) -> None:
    assert "\r" not in text and "\0" not in text and "\x1b" not in text and "\x85" not in text
    for line in text.splitlines():
        assert not line.startswith("2026-01-01"), f"forged line: {line!r}"


def test_escape_control_writes_every_control_character_as_an_escape():
    assert escape_control("a\r\nb\0c\td\x1be\x7ff\x85g\u2028h\ud800i") == (
        "a\\r\\nb\\0c\\td\\x1be\\x7ff\\x85g\\u2028h\\ud800i"
    )
    assert escape_control("naïve café €") == "naïve café €"


def test_message_arguments_extras_and_traceback_stay_on_their_record():
    formatter = EscapingFormatter("%(levelname)s [%(note)s] %(message)s")
    try:
        raise ValueError(f"bad value\r\n{FORGED}\0")
    except ValueError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "serving %s", (f"/p\r\n{FORGED}",), sys.exc_info()
        )
    record.note = f"x\n{FORGED}"
    text = formatter.format(record)
    head, *rest = text.split("\n")
    assert head == f"ERROR [x\\n{FORGED}] serving /p\\r\\n{FORGED}"
    assert rest and all(line.startswith("    ") for line in rest)
    assert f"    {FORGED}\\0" in rest  # the exception message's second line, indented and escaped
    assert_unforgeable(text)


@pytest.mark.django_db
def test_unhandled_error_with_control_characters_in_path_query_and_headers(api, console_log, monkeypatch):
    def explode(self, request):
        raise RuntimeError(f"query={request.GET.get('q')} note={request.headers.get('X-Note')}")

    monkeypatch.setattr(ApiKeyAuthentication, "authenticate", explode)
    response = api.get(
        "/v1/customers/cus_1%0d%0a" + FORGED.replace(" ", "%20"),
        {"q": f"a\r\n{FORGED}"},
        HTTP_X_NOTE=f"n\0\x1b[31m\r\n{FORGED}",
    )
    assert response.status_code == 500
    text = console_log.getvalue()
    assert "Unhandled error while serving /v1/customers/cus_1\\r\\n" + FORGED in text
    # The exception message keeps its line breaks inside the traceback, indented and escaped.
    assert f"    RuntimeError: query=a\\r\n    {FORGED} note=n\\0\\x1b[31m\\r\n    {FORGED}\n" in text
    assert_unforgeable(text)


@pytest.mark.django_db
def test_refused_path_with_cr_lf_nul_is_logged_escaped(client, console_log):
    # NUL in the path is refused with 400 before routing; Django logs the refusal with the path.
    response = client.get("/nowhere%0d%0a" + FORGED.replace(" ", "%20") + "%00end")
    assert response.status_code == 400
    text = console_log.getvalue()
    assert "Bad Request: /nowhere\\r\\n" in text
    assert "end" in text and "\0" not in text  # the NUL is written escaped, never raw
    assert_unforgeable(text)


@pytest.mark.django_db
def test_not_found_path_with_cr_lf_is_logged_escaped(client, console_log):
    response = client.get("/nowhere%0d%0a" + FORGED.replace(" ", "%20"))
    assert response.status_code == 404
    text = console_log.getvalue()
    assert "Not Found: /nowhere\\r\\n" in text
    assert_unforgeable(text)
