"""The one HTTP client every real adapter talks to its provider through (built on ``requests``).

Why one client: the rules that keep money safe over an unreliable network are the same for every
provider, and they are written once here:

* **Timeouts** on every call: ``(connect, read)`` seconds, ``DEFAULT_TIMEOUT`` unless the
  adapter (or the account's ``config["timeout_seconds"]``) says otherwise. Nothing waits forever.
* **Retries only where a repeat cannot move money twice**: a failure to *connect* is retried for
  any request (nothing was sent); a read timeout or a 502/503/504 only when the call is
  ``idempotent`` — a GET, or a write that carries the provider's idempotency key. At most
  ``max_retries`` repeats, with a short exponential backoff.
* **One error vocabulary**: a call that ends without a usable answer raises ``ProviderHTTPError``
  whose ``retryable()`` is the ``RetryableError`` services record: ``timeout`` /
  ``provider_error`` / ``provider_unavailable`` / ``rate_limited`` / ``network_error``, with
  ``outcome_unknown=True`` whenever the request may have reached the provider (a read timeout, a
  5xx): the attempt is then resolved by a lookup before anything else is tried (failover, janitor).
  4xx answers are returned, not raised: they are the provider's verdict, the adapter maps them.
* **Redaction**: each exchange (method, URL, status, duration, request and response bodies) is
  kept for the connector's call log (``observe``), with every credential value of the account
  replaced by ``[redacted]`` wherever it appears (URL, headers, bodies), authorization headers
  dropped, card-number-like digit runs and sensitive keys (``number``, ``cvc``, ``token``, …)
  scrubbed by ``observe.redact``. Nothing is logged through ``logging`` but the method, host and
  status.

SDKs ride on it too: ``StripeTransport`` (``apps.connectors.adapters.stripe``) is a
``stripe.HTTPClient`` and the Adyen adapter hands the Adyen SDK an object with its client's
``request`` signature; both call ``ProviderHTTP.request``, so the SDK's own code runs and the
rules above still hold. Tests replay recorded provider answers at this layer with ``responses``
(the ``requests`` mock), so the SDK code really runs.

Use::

    http = ProviderHTTP(provider="stripe", base_url="https://api.stripe.com", secrets=[api_key])
    response = http.request("POST", "/v1/payment_intents", data=form, idempotent=True,
                            headers={"Idempotency-Key": key})
    response.status, response.json()
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from .base import RetryableError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
DEFAULT_MAX_RETRIES = 2
BACKOFF_SECONDS = 0.25
RETRY_STATUSES = frozenset({502, 503, 504})
_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie", "api-key"}
)
_MAX_BODY_LOGGED = 4000

_exchanges: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar(
    "clearhouse_provider_exchanges", default=None
)


class ProviderHTTPError(Exception):
    """A provider call that ended without a usable answer (timeout, network failure, 5xx, 429)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        outcome_unknown: bool,
        http_status: int | None = None,
        body: Any = None,
    ):
        super().__init__(message)
        self.code = code
        self.outcome_unknown = outcome_unknown
        self.http_status = http_status
        self.body = body

    def retryable(self) -> RetryableError:
        """The result services record for this failure."""
        return RetryableError(
            code=self.code,
            message=str(self),
            outcome_unknown=self.outcome_unknown,
            http_status=self.http_status,
        )


@dataclass(frozen=True)
class ProviderResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str = ""
    elapsed_ms: int = 0

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        if not self.content:
            return {}
        return json.loads(self.content)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class ProviderHTTP:
    """A provider's HTTP client (see the module docstring). One instance per adapter instance:
    ``secrets`` are the account's credential values, scrubbed from everything logged."""

    provider: str
    base_url: str = ""
    secrets: Iterable[str] = ()
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    default_headers: Mapping[str, str] = field(default_factory=dict)
    auth: Any = None  # a requests auth object (e.g. HTTPBasicAuth), never logged
    session: requests.Session | None = None

    def __post_init__(self) -> None:
        # Longest first, so a secret that contains another is scrubbed whole.
        self._secrets = sorted(
            {str(s) for s in self.secrets if s and len(str(s)) >= 6}, key=len, reverse=True
        )
        if self.session is None:
            self.session = requests.Session()

    # ------------------------------------------------------------------ the call
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: tuple[float, float] | None = None,
        auth: Any = None,
    ) -> ProviderResponse:
        """One logical call (with its bounded retries). ``idempotent`` defaults to True for
        GET/HEAD and False otherwise: pass True for a write that carries an idempotency key.
        Raises ``ProviderHTTPError``; any HTTP answer below 500 (and not 429) is returned."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in ("GET", "HEAD")
        full_url = (
            url
            if url.startswith(("http://", "https://"))
            else f"{self.base_url.rstrip('/')}/{url.lstrip('/')}"
        )
        all_headers = {**self.default_headers, **(headers or {})}
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                raw = self.session.request(
                    method,
                    full_url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=all_headers,
                    timeout=timeout or self.timeout,
                    auth=auth or self.auth,
                )
            except requests.exceptions.ConnectTimeout as exc:
                error = ProviderHTTPError(
                    f"{self.provider}: could not connect in time.",
                    code="network_error",
                    outcome_unknown=False,
                )
                self._record(method, full_url, all_headers, json_body, data, None, started, attempt, error)
                if attempt <= self.max_retries:  # nothing was sent: safe to repeat any call
                    self._sleep(attempt)
                    continue
                raise error from exc
            except requests.exceptions.Timeout as exc:
                error = ProviderHTTPError(
                    f"{self.provider} did not answer in time.", code="timeout", outcome_unknown=True
                )
                self._record(method, full_url, all_headers, json_body, data, None, started, attempt, error)
                if idempotent and attempt <= self.max_retries:
                    self._sleep(attempt)
                    continue
                raise error from exc
            except requests.exceptions.ConnectionError as exc:
                # A refused or reset connection before any byte was answered: for a write we
                # cannot tell whether the request was read, so the outcome is unknown.
                error = ProviderHTTPError(
                    f"{self.provider}: network failure ({type(exc).__name__}).",
                    code="network_error",
                    outcome_unknown=method not in ("GET", "HEAD"),
                )
                self._record(method, full_url, all_headers, json_body, data, None, started, attempt, error)
                if idempotent and attempt <= self.max_retries:
                    self._sleep(attempt)
                    continue
                raise error from exc
            except requests.exceptions.RequestException as exc:
                error = ProviderHTTPError(
                    f"{self.provider}: request failed ({type(exc).__name__}).",
                    code="provider_error",
                    outcome_unknown=method not in ("GET", "HEAD"),
                )
                self._record(method, full_url, all_headers, json_body, data, None, started, attempt, error)
                raise error from exc
            response = ProviderResponse(
                status=raw.status_code,
                headers=dict(raw.headers),
                content=raw.content,
                url=full_url,
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
            self._record(method, full_url, all_headers, json_body, data, response, started, attempt, None)
            logger.info("%s %s %s → %s", self.provider, method, urlsplit(full_url).netloc, response.status)
            if response.status >= 500 or response.status == 429:
                if idempotent and response.status in RETRY_STATUSES | {429} and attempt <= self.max_retries:
                    self._sleep(attempt)
                    continue
                raise status_error(self.provider, response)
            return response

    @staticmethod
    def _sleep(attempt: int) -> None:
        time.sleep(min(BACKOFF_SECONDS * (2 ** (attempt - 1)), 2.0))

    # ------------------------------------------------------------------ redaction and the log
    def scrub(self, text: str) -> str:
        """``text`` with every credential value of the account replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    def _body(self, body: Any, content_type: str = "") -> Any:
        from .observe import redact

        if body is None:
            return None
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body).decode("utf-8", "replace")
        if isinstance(body, str):
            body = self.scrub(body)
            stripped = body.strip()
            if stripped[:1] in ("{", "["):
                try:
                    return redact(json.loads(stripped))
                except ValueError:
                    pass
            if (
                "=" in body
                and "\n" not in body
                and ("form" in content_type or "&" in body or not content_type)
            ):
                return redact(dict(parse_qsl(body, keep_blank_values=True)))
            return redact(body[:_MAX_BODY_LOGGED])
        if isinstance(body, (Mapping, list, tuple)):
            return redact(json.loads(self.scrub(json.dumps(body, default=str))))
        return redact(self.scrub(str(body)))

    def _record(self, method, url, headers, json_body, data, response, started, attempt, error) -> None:
        log = _exchanges.get()
        if log is None:
            return
        split = urlsplit(url)
        entry = {
            "method": method,
            "url": self.scrub(f"{split.scheme}://{split.netloc}{split.path}"),
            "query": self._body(split.query) if split.query else None,
            "attempt": attempt,
            "request_headers": {
                k: ("[redacted]" if k.lower() in _REDACTED_HEADERS else self.scrub(str(v)))
                for k, v in headers.items()
            },
            "request_body": self._body(json_body if json_body is not None else data),
            "duration_ms": int((time.monotonic() - started) * 1000),
        }
        if response is not None:
            entry["status"] = response.status
            entry["request_id"] = (
                response.headers.get("Request-Id") or response.headers.get("pspReference") or ""
            )
            entry["response_body"] = self._body(response.content, response.headers.get("Content-Type", ""))
        else:
            entry["status"] = None
            entry["error"] = {"code": error.code, "outcome_unknown": error.outcome_unknown}
        if len(log) < 20:
            log.append(entry)


def status_error(provider: str, response: ProviderResponse) -> ProviderHTTPError:
    """The error of a 5xx or 429 answer (outcome unknown for a 5xx: the provider may have acted)."""
    if response.status == 429:
        return ProviderHTTPError(
            f"{provider} rate-limited the call (HTTP 429).",
            code="rate_limited",
            outcome_unknown=False,
            http_status=429,
        )
    return ProviderHTTPError(
        f"{provider} answered HTTP {response.status}.",
        code="provider_unavailable" if response.status == 503 else "provider_error",
        outcome_unknown=True,
        http_status=response.status,
        # Kept for adapters of providers that answer business outcomes with a 5xx (Helcim
        # declines with HTTP 500); never logged from here (the exchange log has its redacted copy).
        body=response.content,
    )


@contextlib.contextmanager
def capture_exchanges() -> Iterator[list[dict]]:
    """Collects the (redacted) exchanges of the provider calls made inside the block; the gateway
    wraps each adapter call in it and stores them with the call's log entry."""
    log: list[dict] = []
    token = _exchanges.set(log)
    try:
        yield log
    finally:
        _exchanges.reset(token)
