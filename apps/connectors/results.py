"""The values that cross the connector interface: the request an adapter receives and the typed
results it answers with (``apps.connectors.base`` defines the interface itself and re-exports these).

A result is a frozen dataclass with an ``outcome`` name; ``result_to_dict`` / ``result_from_dict``
round-trip one through JSON (the attempt journal and the recorded-call cassettes keep them so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
