"""The one interface every connector adapter implements.

Adapters speak to a provider (a PSP, an acquirer, the sandbox) and translate its
answers into the typed results below. They never raise provider exceptions into
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
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class CardLike(Protocol):
    """Plaintext card data held in memory for the duration of one provider call only
    (the vault's ``CardData``)."""

    number: str
    exp_month: int
    exp_year: int
    brand: str


# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRequest:
    idempotency_key: str
    amount: int
    currency: str
    payment_method_type: str = "card"
    card: Any = field(default=None, repr=False)  # CardLike, never logged
    # The card's security code for this call, never logged. Unless given, the vault's held CVC
    # (``card.cvc``: the first authorization after tokenization only) on an on-session payment; a
    # merchant-initiated (off-session) payment carries none.
    cvc: str | None = field(default=None, repr=False)
    # A device wallet's token (apple_pay / google_pay payment methods), never logged.
    wallet_token: str = field(default="", repr=False)
    capture: bool = True  # False = authorization only (capture_method=manual)
    off_session: bool = False
    three_ds: str = "automatic"  # automatic | always | never
    billing_details: Mapping[str, Any] | None = None
    return_url: str = ""
    description: str = ""
    statement_descriptor: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    reference: str = ""  # our charge id (ch_…)
    merchant_reference: str = ""  # the merchant id (acct_…)

    def __post_init__(self) -> None:
        if self.cvc is None and not self.off_session:
            object.__setattr__(self, "cvc", getattr(self.card, "cvc", "") or None)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Approved:
    gateway_reference: str
    network_code: str = "00"
    authorization_code: str = ""
    amount: int | None = None
    cvc_check: str | None = None  # pass | fail | unavailable | unchecked
    address_line1_check: str | None = None
    address_postal_code_check: str | None = None
    three_ds: Mapping[str, Any] | None = None
    risk_score: int | None = None
    risk_level: str | None = None
    network_transaction_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    outcome = "approved"


@dataclass(frozen=True)
class Declined:
    decline_code: str
    network_code: str
    message: str
    code: str = "card_declined"  # card_declined | expired_card | incorrect_cvc | processing_error | authentication_required
    gateway_reference: str = ""
    cvc_check: str | None = None
    address_line1_check: str | None = None
    address_postal_code_check: str | None = None
    three_ds: Mapping[str, Any] | None = None
    risk_score: int | None = None
    risk_level: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    outcome = "declined"


@dataclass(frozen=True)
class RequiresAction:
    kind: str  # redirect_to_url | display_qr_code
    reference: str  # the provider's reference for the pending action (3DS session, wallet order)
    url: str = ""
    qr_data: str = ""
    qr_image_url: str = ""
    expires_at: int | None = None  # unix seconds
    three_ds: bool = False
    gateway_reference: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    outcome = "requires_action"


@dataclass(frozen=True)
class Pending:
    gateway_reference: str
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    outcome = "pending"


@dataclass(frozen=True)
class RetryableError:
    code: str  # timeout | provider_error | provider_unavailable | rate_limited | network_error
    message: str
    # True when the request may have reached the provider: the attempt is "unknown"
    # and must be resolved by asking the provider (the re-check janitor).
    outcome_unknown: bool = False
    http_status: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    outcome = "error"


AuthorizeResult = Approved | Declined | RequiresAction | Pending | RetryableError
OperationResult = Approved | Declined | Pending | RetryableError


@dataclass(frozen=True)
class InboundEvent:
    """A provider callback, verified and mapped to our vocabulary."""

    provider_event_id: str
    type: str  # charge.succeeded | charge.failed | charge.captured | refund.succeeded | refund.failed | charge.dispute.created | …
    gateway_reference: str  # the provider's reference of the charge or refund concerned
    occurred_at: dt.datetime
    livemode: bool = False
    amount: int | None = None
    currency: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    # Our own reference (the charge's ``ch_…``) when the provider echoes it: how an event about
    # an attempt whose call timed out finds the attempt before its ``gateway_reference`` is known.
    reference: str = ""


# What ``ConnectorAdapter.lookup`` can be asked about: the authorization itself, or one of the
# follow-ups on it (each declared per operation in the capability matrix: ``lookup``,
# ``lookup_capture``, ``lookup_void``, ``lookup_refund``).
LOOKUP_OPERATIONS = ("authorize", "capture", "void", "refund")


def lookup_not_supported(provider: str, operation: str) -> RetryableError:
    """The answer of a lookup the provider cannot do: an error with the outcome unknown, never
    None ("never received"), so no caller sends the operation again on a guess."""
    return RetryableError(
        code="lookup_not_supported",
        message=f"Connector {provider} cannot look up a {operation} by our reference.",
        outcome_unknown=True,
    )


class OperationNotSupported(Exception):
    """An operation the provider cannot do (its capability matrix says so). The gateway answers
    it before calling the adapter; an adapter raises it from the operations that return no
    result type (settlement reports), and returns ``not_supported()`` from the others."""

    def __init__(self, provider: str, operation: str):
        super().__init__(f"Connector {provider} does not support {operation}.")
        self.provider = provider
        self.operation = operation


NOT_SUPPORTED = "operation_not_supported"


def not_supported(provider: str, operation: str) -> Declined:
    """The result of an operation a provider cannot do. ``declines.COMMON`` lets failover move
    such an attempt to another connector (routing should not have sent it here at all)."""
    return Declined(
        code=NOT_SUPPORTED,
        decline_code=NOT_SUPPORTED,
        network_code="",
        message=f"Connector {provider} does not support {operation}.",
    )


class ConfigValueError(ValueError):
    """A connector account setting that cannot work (``validate_config``), naming it:
    ``param`` is ``config[<name>]``."""

    def __init__(self, message: str, *, name: str):
        super().__init__(message)
        self.param = f"config[{name}]"


class InboundWebhookError(Exception):
    """A payload we cannot trust or cannot understand (bad signature, stale, unknown type)."""

    def __init__(self, message: str, *, code: str = "invalid_payload"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SettlementLine:
    gateway_reference: str
    type: str  # capture | refund | dispute | fee
    amount: int  # signed, minor units
    currency: str
    fee: int
    settled_on: dt.date
    reference: str = ""  # our id when the provider echoes it


@dataclass(frozen=True)
class HealthStatus:
    ok: bool
    latency_ms: int
    detail: str = ""


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


_RESULT_TYPES = {
    "approved": Approved,
    "declined": Declined,
    "requires_action": RequiresAction,
    "pending": Pending,
    "error": RetryableError,
}


def result_to_dict(result) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(result)
    data["outcome"] = result.outcome
    return data


def result_from_dict(data: Mapping[str, Any]):
    data = dict(data)
    cls = _RESULT_TYPES[data.pop("outcome")]
    return cls(**data)
