"""The one interface every connector adapter implements.

Adapters speak to a provider (a PSP, an acquirer, the sandbox) and translate its
answers into the typed results of ``results.py``. They never raise provider exceptions into
services: anything unexpected becomes a ``RetryableError`` (see ``SafeAdapter``),
so the caller always has a result to record. Every call carries *our* idempotency
key, derived from the charge/refund id, so a retry after a crash or a timeout can
never authorize, capture or refund twice at the provider.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .results import (  # noqa: F401 — re-exported: the interface's values live in results.py
    LOOKUP_OPERATIONS,
    NOT_SUPPORTED,
    Approved,
    AuthorizeResult,
    ConfigValueError,
    Declined,
    HealthStatus,
    InboundEvent,
    InboundWebhookError,
    OperationNotSupported,
    OperationResult,
    PaymentRequest,
    Pending,
    RequiresAction,
    RetryableError,
    SettlementLine,
    lookup_not_supported,
    not_supported,
    result_from_dict,
    result_to_dict,
)

logger = logging.getLogger(__name__)


class CardLike(Protocol):
    """Plaintext card data held in memory for the duration of one provider call only
    (the vault's ``CardData``)."""

    number: str
    exp_month: int
    exp_year: int
    brand: str


# ---------------------------------------------------------------------------
# Payout rails: the bank side (credit transfers to a merchant's bank account)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutSubmitted:
    reference: str
    arrival_date: dt.date


@dataclass(frozen=True)
class PayoutOutcome:
    paid: bool
    failure_code: str = ""
    failure_message: str = ""


class PayoutRail(Protocol):
    """A bank rail that sends payouts. Submission is idempotent per ``idempotency_key`` (our
    payout's key); the outcome is asked for later, once the transfer had time to settle."""

    code: str

    def submit(
        self, *, idempotency_key: str, amount: int, currency: str, account_number: str, today: dt.date
    ) -> PayoutSubmitted: ...

    def outcome(self, *, reference: str, account_number: str) -> PayoutOutcome: ...


# ---------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------


class ConnectorAdapter(ABC):
    """One provider. A real provider's adapter lives in ``apps/connectors/adapters/<code>/``
    (see ``apps.connectors.adapters``) and declares, as class attributes:

    * ``code`` (the connector type, e.g. ``stripe``), ``display_name``;
    * ``capabilities``: its matrix (``apps.connectors.capabilities``: the keys, ``DEFAULTS``
      for undeclared ones). An operation whose flag is False is never called: the gateway
      answers ``not_supported`` and routing never picks the account for a payment needing it;
    * ``credential_fields``: required secrets of an account (encrypted at rest, never shown);
      ``optional_credential_fields``: accepted, not required (e.g. a webhook secret);
    * ``test_mode`` / ``live_mode``: in which Clearhouse modes accounts may exist. A test-mode
      account talks to the provider's sandbox/test endpoint, a live one to its live endpoint;
      ``validate_credentials`` refuses credentials of the other mode (Stripe's sk_test_ in live);
    * ``decline_table``: the provider's own decline/error codes → ``declines`` verdicts
      (``retry_elsewhere`` / ``do_not_retry`` / ``soft_decline_needs_3ds``), merged over
      ``declines.COMMON``;
    * ``sdk`` (the pinned package, e.g. ``stripe==16.1.0``, or ``""`` for plain HTTP),
      ``api_version`` (the provider API version pinned on every request), ``documentation``
      (what it was built from) and ``notes`` (what is not covered and why): the provider table
      (``docs/providers.md``) is generated from them.

    Amounts cross the boundary through ``apps.connectors.money`` (the currency table), HTTP
    through ``apps.connectors.http.ProviderHTTP``.
    """

    code: str = ""
    display_name: str = ""
    supported_payment_method_types: tuple[str, ...] = ("card",)
    # The declared capability matrix (apps.connectors.capabilities): list keys None = any.
    capabilities: Mapping[str, Any] = {
        "payment_method_types": ["card"],
        "card_networks": None,
        "currencies": None,
        "countries": None,
        "min_amount": None,
        "max_amount": None,
        "three_d_secure": False,
        "manual_capture": True,
        "partial_capture": False,
        "refunds": True,
        "payouts": False,
    }
    # The credential fields an account of this provider needs (shown by GET /v1/providers).
    credential_fields: tuple[str, ...] = ()
    optional_credential_fields: tuple[str, ...] = ()
    # Whether accounts of this provider may exist in test mode / live mode.
    test_mode: bool = False
    live_mode: bool = True
    decline_table: Mapping[str, str] = {}
    sdk: str = ""
    api_version: str = ""
    documentation: tuple[str, ...] = ()
    notes: str = ""

    @classmethod
    def matrix(cls) -> dict[str, Any]:
        """The declared matrix with the defaults of undeclared keys."""
        from .capabilities import with_defaults

        return with_defaults(cls.capabilities)

    @classmethod
    def supports(cls, operation: str) -> bool:
        """Whether the declared matrix allows ``operation`` (an adapter method name)."""
        from .capabilities import supports

        return supports(cls.capabilities, operation)

    @classmethod
    def validate_credentials(cls, credentials: Mapping[str, str], *, livemode: bool) -> None:
        """Raises ``ValueError`` (its text shown to the merchant, never a secret) when the
        credentials cannot belong to an account of this mode. Required fields are checked by
        the accounts service from ``credential_fields``."""
        return None

    @classmethod
    def validate_config(cls, config: Mapping[str, Any], *, livemode: bool) -> None:
        """Raises ``ValueError`` (its text shown to the merchant) when the account's settings
        cannot work, e.g. a per-account endpoint prefix of the wrong shape: refused when the
        account is created or updated, not on its first payment. The accounts service has
        already checked that every value is a short scalar."""
        return None

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any] | None = None,
        livemode: bool = False,
        config: Mapping[str, Any] | None = None,
    ):
        self.credentials = dict(credentials or {})
        self.livemode = livemode
        self.config = dict(config or {})

    @abstractmethod
    def authorize(self, request: PaymentRequest) -> AuthorizeResult:
        """Authorize (``capture=False``) or sale (``capture=True``)."""

    @abstractmethod
    def capture(
        self,
        *,
        idempotency_key: str,
        gateway_reference: str,
        amount: int,
        currency: str,
        metadata: Mapping[str, str] | None = None,
    ) -> OperationResult: ...

    @abstractmethod
    def void(
        self,
        *,
        idempotency_key: str,
        gateway_reference: str,
        amount: int,
        currency: str,
        metadata: Mapping[str, str] | None = None,
    ) -> OperationResult: ...

    @abstractmethod
    def refund(
        self,
        *,
        idempotency_key: str,
        gateway_reference: str,
        amount: int,
        currency: str,
        metadata: Mapping[str, str] | None = None,
    ) -> OperationResult: ...

    @abstractmethod
    def start_3ds(self, request: PaymentRequest) -> AuthorizeResult: ...

    @abstractmethod
    def complete_3ds(
        self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]
    ) -> AuthorizeResult: ...

    @abstractmethod
    def start_redirect(self, request: PaymentRequest) -> AuthorizeResult:
        """Redirect or QR payment methods (wallets, paypal-style APMs)."""

    @abstractmethod
    def confirm_redirect(
        self, request: PaymentRequest, *, reference: str, payload: Mapping[str, Any]
    ) -> AuthorizeResult: ...

    def submit_dispute_evidence(
        self, *, idempotency_key: str, dispute_reference: str, evidence: Mapping[str, str]
    ) -> OperationResult:
        """Sends a dispute's evidence to the network, once per dispute (our idempotency key).
        Approved: accepted for review (the outcome comes later as charge.dispute.closed)."""
        return Declined(
            code="dispute_submission_unsupported",
            decline_code="dispute_submission_unsupported",
            network_code="",
            message=f"Connector {self.code} cannot submit dispute evidence.",
        )

    @abstractmethod
    def lookup(self, *, operation: str, idempotency_key: str, reference: str = "") -> OperationResult | None:
        """What the provider knows about ``operation`` (one of ``LOOKUP_OPERATIONS``) sent with
        our ``idempotency_key``; None only when the provider *confirms* it never received it.

        * ``authorize``: the authorization (``reference`` unused);
        * ``capture`` / ``void`` / ``refund``: the follow-up on the payment whose provider id is
          ``reference`` (the charge's ``gateway_reference``; "" when not known) — Approved (the
          capture/void/refund done, ``gateway_reference`` its own id), Declined, Pending, or None
          when the payment shows no such follow-up.

        An operation the provider cannot look up answers ``lookup_not_supported(...)`` (and is
        declared False in the matrix, so the gateway never asks): the re-check janitor then waits
        for the provider's notification and escalates for review, never guessing."""

    @abstractmethod
    def parse_inbound_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
        """Verify the signature and map the payload; raises InboundWebhookError."""

    @abstractmethod
    def fetch_settlement_report(self, *, date: dt.date) -> list[SettlementLine]: ...

    @abstractmethod
    def health(self) -> HealthStatus: ...


_GUARDED = (
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


class SafeAdapter:
    """Wraps an adapter so no provider exception ever reaches a service: an unexpected
    exception during an operation becomes ``RetryableError(outcome_unknown=True)``."""

    def __init__(self, adapter: ConnectorAdapter):
        self._adapter = adapter

    @property
    def wrapped(self) -> ConnectorAdapter:
        return self._adapter

    def __getattr__(self, name: str):
        attr = getattr(self._adapter, name)
        if name not in _GUARDED or not callable(attr):
            if name == "health" and callable(attr):
                return self._guard_health(attr)
            return attr

        @functools.wraps(attr)
        def guarded(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except Exception as exc:
                logger.exception("connector %s.%s raised %s", self._adapter.code, name, type(exc).__name__)
                return RetryableError(
                    code="provider_error",
                    message=f"{type(exc).__name__} from connector {self._adapter.code}",
                    outcome_unknown=name not in ("lookup",),
                )

        return guarded

    @staticmethod
    def _guard_health(fn):
        @functools.wraps(fn)
        def guarded():
            try:
                return fn()
            except Exception as exc:
                return HealthStatus(ok=False, latency_ms=0, detail=type(exc).__name__)

        return guarded
