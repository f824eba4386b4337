"""``ProviderAdapter``: the base of every real provider's adapter (see ``apps.connectors.adapters``).

What it gives an adapter:

* ``self.http``: the account's ``ProviderHTTP`` (``apps.connectors.http``), built lazily with the
  account's credential values as the secrets it scrubs, ``base_url()`` (test or live endpoint by
  ``self.livemode``) and the timeout (``config["timeout_seconds"]``, else ``DEFAULT_TIMEOUT``);
* ``ProviderHTTPError`` raised inside an operation becomes that error's ``RetryableError``
  (``outcome_unknown`` as the HTTP layer judged it) — adapters do not catch it themselves;
  ``money.AmountPrecisionError`` (an amount the provider's unit cannot carry exactly) becomes
  ``Declined(invalid_amount)``, nothing having been sent;
* default bodies for the optional operations, each answering "not supported"
  (``base.not_supported`` / ``OperationNotSupported`` / ``InboundWebhookError("not_supported")``):
  an adapter overrides those its capability matrix declares;
* ``money``: the boundary conversions (``apps.connectors.money``).

Contract of each operation (all keyword, all idempotent on *our* key):

``authorize(request)`` → Approved | Declined | RequiresAction (3DS or redirect; ``reference``
is what ``complete_3ds``/``confirm_redirect`` get back) | Pending | RetryableError.
``capture/void/refund(idempotency_key, gateway_reference, amount, currency, metadata)`` →
Approved (``gateway_reference`` of the capture/refund, ``amount`` done) | Pending (a refund the
provider settles later) | Declined (with the provider's code mapped) | RetryableError.
``lookup(operation, idempotency_key, reference)`` → what the provider knows of the operation
(``authorize``, or a ``capture``/``void``/``refund`` on the payment ``reference``) sent with that
key (Approved / Declined / Pending), or None when it confirms it never received it; an operation
it cannot look up answers ``lookup_not_supported`` and is declared False in the matrix
(``lookup``, ``lookup_capture``, ``lookup_void``, ``lookup_refund``).
``parse_inbound_webhook(body, headers)`` → InboundEvent, after verifying the provider's own
signature or token; raises ``InboundWebhookError`` (code ``signature_missing`` /
``signature_invalid`` / ``signature_expired`` / ``invalid_payload`` / ``not_supported``).
``return_reference(body, headers)`` / ``parse_return(body, headers, reference, gateway_reference)``:
for a provider whose customer return is unsigned and names only *our* reference (Telr): the
first says which of our references a return names (None: not such a return, parse it as a
callback); the gateway finds the provider reference stored for it (``apps.connectors.returns``)
and the second reads the outcome back from the provider → InboundEvent.
``fetch_settlement_report(date)`` → ``SettlementLine``s (signed minor units).
``health()`` → HealthStatus from a read-only call.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Mapping
from typing import Any

from apps.connectors import money
from apps.connectors.base import (
    ConnectorAdapter,
    Declined,
    HealthStatus,
    InboundEvent,
    InboundWebhookError,
    OperationNotSupported,
    PaymentRequest,
    SettlementLine,
    lookup_not_supported,
    not_supported,
)
from apps.connectors.http import DEFAULT_TIMEOUT, ProviderHTTP, ProviderHTTPError

_HTTP_GUARDED = (
    "authorize",
    "capture",
    "void",
    "refund",
    "start_3ds",
    "complete_3ds",
    "start_redirect",
    "confirm_redirect",
    "lookup",
    "submit_dispute_evidence",
)


def _guard(fn):
    @functools.wraps(fn)
    def guarded(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except ProviderHTTPError as exc:
            # For a lookup too: one that cannot ask answers an error, never "not received"
            # (None), so failover never moves an attempt the provider may hold.
            return exc.retryable()
        except money.AmountPrecisionError as exc:
            # Refused before anything was sent: an amount the provider's unit cannot carry.
            return Declined(
                code="invalid_amount", decline_code="invalid_amount", network_code="", message=str(exc)
            )

    guarded._http_guarded = True
    return guarded


class ProviderAdapter(ConnectorAdapter):
    """Base of real providers (see the module docstring)."""

    # Subclasses: the endpoints (``base_url`` may be overridden for per-account URLs).
    test_base_url: str = ""
    live_base_url: str = ""
    test_mode = True
    live_mode = True
    money = money

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _HTTP_GUARDED:
            fn = cls.__dict__.get(name)
            if callable(fn) and not getattr(fn, "_http_guarded", False):
                setattr(cls, name, _guard(fn))

    def __init__(self, *, credentials=None, livemode=False, config=None):
        super().__init__(credentials=credentials, livemode=livemode, config=config)
        self._http: ProviderHTTP | None = None

    # ------------------------------------------------------------------ the HTTP client
    def base_url(self) -> str:
        return self.live_base_url if self.livemode else self.test_base_url

    def timeout(self) -> tuple[float, float]:
        seconds = self.config.get("timeout_seconds")
        if isinstance(seconds, int) and not isinstance(seconds, bool) and 1 <= seconds <= 120:
            return (min(DEFAULT_TIMEOUT[0], float(seconds)), float(seconds))
        return DEFAULT_TIMEOUT

    def build_http(self) -> ProviderHTTP:
        return ProviderHTTP(
            provider=self.code,
            base_url=self.base_url(),
            secrets=[str(v) for v in self.credentials.values()],
            timeout=self.timeout(),
        )

    @property
    def http(self) -> ProviderHTTP:
        if self._http is None:
            self._http = self.build_http()
        return self._http

    def credential(self, name: str) -> str:
        value = self.credentials.get(name)
        if not value:
            raise OperationNotSupported(self.code, f"calls without credentials[{name}]")
        return str(value)

    # ------------------------------------------------------------------ optional operations
    def start_3ds(self, request: PaymentRequest):
        # Providers run 3DS inside authorize (a RequiresAction answer); a separate start is the
        # sandbox's: the same call.
        if not self.supports("start_3ds"):
            return not_supported(self.code, "3D Secure")
        return self.authorize(request)

    def complete_3ds(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        return not_supported(self.code, "3D Secure")

    def start_redirect(self, request: PaymentRequest):
        if not self.supports("start_redirect"):
            return not_supported(self.code, "redirect payments")
        return self.authorize(request)

    def confirm_redirect(self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]):
        return not_supported(self.code, "redirect payments")

    def capture(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return not_supported(self.code, "capture")

    def void(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return not_supported(self.code, "void")

    def refund(self, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        return not_supported(self.code, "refund")

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        return lookup_not_supported(self.code, operation)

    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        raise InboundWebhookError(f"Connector {self.code} sends no callbacks.", code="not_supported")

    def return_reference(self, *, body: bytes, headers: Mapping[str, str]) -> str | None:
        return None

    def parse_return(
        self, *, body: bytes, headers: Mapping[str, str], reference: str, gateway_reference: str
    ) -> InboundEvent:
        raise InboundWebhookError(f"Connector {self.code} reads no returns back.", code="not_supported")

    def fetch_settlement_report(self, *, date: dt.date) -> list[SettlementLine]:
        raise OperationNotSupported(self.code, "settlement reports")

    def health(self) -> HealthStatus:
        return HealthStatus(ok=False, latency_ms=0, detail="no health check")

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
        """Header names lower-cased; Django's ``HTTP_X_Y`` META names mapped back to ``x-y``."""
        out = {}
        for key, value in headers.items():
            name = key.lower()
            if name.startswith("http_"):
                name = name[5:].replace("_", "-")
            out[name] = value
        return out

    def timed_health(self, probe) -> HealthStatus:
        """``probe()`` (a read-only call) timed; any failure is a failed check with its kind."""
        started = time.monotonic()
        try:
            detail = probe() or ""
        except ProviderHTTPError as exc:
            return HealthStatus(
                ok=False, latency_ms=int((time.monotonic() - started) * 1000), detail=exc.code
            )
        except Exception as exc:
            return HealthStatus(
                ok=False, latency_ms=int((time.monotonic() - started) * 1000), detail=type(exc).__name__
            )
        return HealthStatus(
            ok=True, latency_ms=int((time.monotonic() - started) * 1000), detail=str(detail)[:100]
        )
