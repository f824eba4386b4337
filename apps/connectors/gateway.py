"""The one funnel to payment providers: every call to an acquirer, a wallet, a bank rail or a
provider's reporting goes through here.

Each function resolves the adapter for the connector (decrypting its credentials), calls it and
returns a normalised result: an adapter exception never reaches the caller — an operation answers
``RetryableError(outcome_unknown=True)`` (see ``SafeAdapter``), a health check answers
``HealthStatus(ok=False)``.

The callers keep their own "before" and "after" steps, which this module never does for them:
lock the row and mark the attempt ``submitting``, commit, then call the gateway with *our*
idempotency key outside any transaction, then lock again and record the result (DESIGN.md §2).
Routing (which connector an attempt goes to) happens before the "before" step.

Every call is observed (``apps.connectors.observe``): a redacted entry in the connector's call
log, its counters and latency at ``/metrics``, and the circuit breaker routing consults.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

from . import capabilities, http, observe, returns
from .base import (
    LOOKUP_OPERATIONS,
    AuthorizeResult,
    HealthStatus,
    InboundEvent,
    InboundWebhookError,
    OperationNotSupported,
    OperationResult,
    PaymentRequest,
    PayoutOutcome,
    PayoutRail,
    PayoutSubmitted,
    SafeAdapter,
    SettlementLine,
    lookup_not_supported,
    not_supported,
)
from .models import Connector
from .registry import get_adapter
from .selectors import connector_capabilities
from .services import connector_credentials, connector_previous_credentials

_OPERATION_NAMES = {
    "capture": "capture",
    "void": "void",
    "refund": "refund",
    "start_3ds": "3D Secure",
    "complete_3ds": "3D Secure",
    "start_redirect": "redirect payments",
    "confirm_redirect": "redirect payments",
}


def supported(connector: Connector, operation: str) -> bool:
    """Whether the account's effective capability matrix allows the adapter ``operation``: an
    operation it does not is answered here and never reaches the adapter."""
    return capabilities.supports(connector_capabilities(connector), operation)


def _adapter(connector: Connector, *, previous: bool = False) -> SafeAdapter:
    credentials = connector_previous_credentials(connector) if previous else connector_credentials(connector)
    return get_adapter(
        connector.code, credentials=credentials, livemode=connector.livemode, config=adapter_config(connector)
    )


def adapter_config(connector: Connector) -> dict[str, Any]:
    """The account's config plus where the provider reaches Clearhouse back for this account:
    ``callback_url`` (server-to-server notifications, POST) and ``return_url`` (the customer's
    browser after a hosted page; Clearhouse verifies the provider's signed return there, applies
    it, then sends the customer on to the payment's own ``return_url``)."""
    from django.urls import reverse

    from apps.core.context import public_base_url

    base = public_base_url()
    return {
        **(connector.config or {}),
        "callback_url": base + reverse("gateway-webhook", args=[connector.public_id]),
        "return_url": base + reverse("gateway-return", args=[connector.public_id]),
    }


def _observed(connector: Connector, operation: str, call: Callable[[], Any], request: Mapping | None = None):
    started = time.monotonic()
    with http.capture_exchanges() as exchanges:
        result = call()
    observe.record_call(
        connector,
        operation=operation,
        result=result,
        latency_ms=int((time.monotonic() - started) * 1000),
        request=request,
        exchanges=exchanges,
    )
    return result


def _outside_transaction(operation: str) -> None:
    # A provider call inside an open transaction would hold row locks for a network round trip
    # and could not be rolled back with the rows; refuse it loudly in development and tests.
    # (The atomic blocks a Django TestCase wraps around each test don't count, as for durable=True.)
    blocks = transaction.get_connection().atomic_blocks
    if any(not getattr(block, "_from_testcase", False) for block in blocks):
        raise RuntimeError(f"gateway.{operation} called inside a transaction")


# --- payments ---------------------------------------------------------------------------------


def authorize(*, connector: Connector, request: PaymentRequest) -> AuthorizeResult:
    """Authorize (``request.capture`` False) or sale (True), for card-like payment methods."""
    _outside_transaction("authorize")
    token_provider = (getattr(request.card, "provider_token", None) or {}).get("provider")
    if token_provider and token_provider != connector.code:
        # A card one provider's browser SDK tokenized (apps.vault.provider_tokens) means nothing to
        # another provider: answered here, never sent (failover may move it to one that takes it).
        return not_supported(connector.code, f"{token_provider} payment tokens")
    adapter = _adapter(connector)
    return _observed(
        connector, "authorize", lambda: adapter.authorize(request), observe.request_summary(request)
    )


def start_redirect(*, connector: Connector, request: PaymentRequest) -> AuthorizeResult:
    """Begin a redirect, QR or wallet-page payment: answers ``RequiresAction`` (or a result)."""
    _outside_transaction("start_redirect")
    if not supported(connector, "start_redirect"):
        return not_supported(connector.code, _OPERATION_NAMES["start_redirect"])
    adapter = _adapter(connector)
    return _observed(
        connector, "start_redirect", lambda: adapter.start_redirect(request), observe.request_summary(request)
    )


def complete_action(
    *, connector: Connector, request: PaymentRequest, kind: str, reference: str, payload: Mapping[str, Any]
) -> AuthorizeResult:
    """Finish a next action: ``kind`` is ``"three_d_secure"`` or ``"redirect"``."""
    _outside_transaction("complete_action")
    operation = "confirm_redirect" if kind == "redirect" else "complete_3ds"
    if not supported(connector, operation):
        return not_supported(connector.code, _OPERATION_NAMES[operation])
    adapter = _adapter(connector)
    if kind == "redirect":
        call = lambda: adapter.confirm_redirect(request, reference=reference, payload=payload)  # noqa: E731
    else:
        call = lambda: adapter.complete_3ds(request, reference=reference, payload=payload)  # noqa: E731
    return _observed(connector, "complete_action", call, {**observe.request_summary(request), "kind": kind})


def _operation(
    name: str,
    *,
    connector: Connector,
    idempotency_key: str,
    gateway_reference: str,
    amount: int,
    currency: str,
    metadata: Mapping[str, str] | None = None,
) -> OperationResult:
    """capture, void and refund share one signature on the adapter interface."""
    _outside_transaction(name)
    if not supported(connector, name):
        return not_supported(connector.code, _OPERATION_NAMES[name])
    method = getattr(_adapter(connector), name)
    summary = {"idempotency_key": idempotency_key, "gateway_reference": gateway_reference,
               "amount": amount, "currency": currency}  # fmt: skip
    return _observed(
        connector,
        name,
        lambda: method(
            idempotency_key=idempotency_key,
            gateway_reference=gateway_reference,
            amount=amount,
            currency=currency,
            metadata=metadata,
        ),
        summary,
    )


def capture(*, connector: Connector, **operation) -> OperationResult:
    """Capture ``amount`` of an authorization (partial captures release the remainder)."""
    return _operation("capture", connector=connector, **operation)


def void(*, connector: Connector, **operation) -> OperationResult:
    """Release an authorization (or cancel a refund still pending at the provider)."""
    return _operation("void", connector=connector, **operation)


def refund(*, connector: Connector, **operation) -> OperationResult:
    return _operation("refund", connector=connector, **operation)


def submit_dispute_evidence(
    *, connector: Connector, idempotency_key: str, dispute_reference: str, evidence: Mapping[str, str]
) -> OperationResult:
    """A dispute's evidence to the network (the one submission; idempotent per our key)."""
    _outside_transaction("submit_dispute_evidence")
    return _adapter(connector).submit_dispute_evidence(
        idempotency_key=idempotency_key, dispute_reference=dispute_reference, evidence=evidence
    )


def lookup(
    *, connector: Connector, operation: str, idempotency_key: str, reference: str = ""
) -> OperationResult | None:
    """What the provider knows of ``operation`` (``base.LOOKUP_OPERATIONS``) sent with our key:
    the authorization, or a capture / void / refund on the payment whose provider id is
    ``reference``. None only when the provider confirms it never arrived. An operation the
    account's matrix cannot look up answers ``lookup_not_supported`` without asking: the attempt
    stays unknown (failover never moves it; the janitor waits for a notification, then escalates)."""
    _outside_transaction("lookup")
    if operation not in LOOKUP_OPERATIONS:
        raise ValueError(f"Cannot look up {operation!r}: one of {', '.join(LOOKUP_OPERATIONS)}.")
    if not capabilities.supports_lookup(connector_capabilities(connector), operation):
        return lookup_not_supported(connector.code, operation)
    adapter = _adapter(connector)
    return _observed(
        connector, "lookup",
        lambda: adapter.lookup(operation=operation, idempotency_key=idempotency_key, reference=reference),
        {"operation": operation, "idempotency_key": idempotency_key, "reference": reference},
    )  # fmt: skip


def lookup_supported(connector: Connector, operation: str) -> bool:
    """Whether the account's provider can be asked about ``operation`` (the janitor otherwise
    waits for the provider's notification)."""
    return capabilities.supports_lookup(connector_capabilities(connector), operation)


def verify(*, request: PaymentRequest, connector: Connector | None = None) -> AuthorizeResult:
    """A zero-amount authorization that checks a card. Without a connector it runs on the
    sandbox acquirer (test mode, and live mode until verification is routed)."""
    _outside_transaction("verify")
    adapter = _adapter(connector) if connector is not None else get_adapter("sandbox")
    return adapter.authorize(request)


# --- inbound, reporting, health ---------------------------------------------------------------


def parse_inbound_webhook(*, connector: Connector, body: bytes, headers: Mapping[str, str]) -> InboundEvent:
    """Verify the provider's signature and map its payload; raises ``InboundWebhookError``.
    During a credential rotation a callback signed with the previous secret still verifies.
    A connector whose provider sends no callbacks refuses every one (``not_supported``)."""
    if not supported(connector, "parse_inbound_webhook"):
        raise InboundWebhookError(f"Connector {connector.code} sends no callbacks.", code="not_supported")
    adapter = _adapter(connector)
    ours = _return_reference(adapter, body=body, headers=headers)
    if ours is not None:
        return _parse_return(connector, adapter, reference=ours, body=body, headers=headers)
    try:
        return adapter.parse_inbound_webhook(body=body, headers=headers)
    except InboundWebhookError as exc:
        if exc.code != "signature_invalid" or not connector.previous_credentials_ciphertext:
            raise
        return _adapter(connector, previous=True).parse_inbound_webhook(body=body, headers=headers)


def _return_reference(adapter: SafeAdapter, *, body: bytes, headers: Mapping[str, str]) -> str | None:
    find = getattr(adapter.wrapped, "return_reference", None)
    return find(body=body, headers=headers) if find is not None else None


def _parse_return(
    connector: Connector, adapter: SafeAdapter, *, reference: str, body: bytes, headers
) -> InboundEvent:
    """An unsigned return naming our ``reference``: the provider reference we stored for it is
    read back from the provider. A reference we never sent there is refused, nothing asked."""
    gateway_reference = returns.gateway_reference_for(connector.pk, reference)
    if not gateway_reference:
        raise InboundWebhookError("The return names no payment of this account.", code="signature_invalid")
    return adapter.wrapped.parse_return(
        body=body, headers=headers, reference=reference, gateway_reference=gateway_reference
    )


def fetch_settlement_report(*, connector: Connector, date: dt.date) -> list[SettlementLine]:
    """The provider's settled lines of ``date``; raises ``OperationNotSupported`` for a provider
    without settlement reports, ``ProviderHTTPError`` when the provider cannot be reached."""
    _outside_transaction("fetch_settlement_report")
    if not supported(connector, "fetch_settlement_report"):
        raise OperationNotSupported(connector.code, "settlement reports")
    return _observed(
        connector, "fetch_settlement_report", lambda: _adapter(connector).fetch_settlement_report(date=date),
        {"date": date.isoformat()},
    )  # fmt: skip


def fetch_settlement_file(*, connector: Connector, date: dt.date) -> tuple[str, bytes, str]:
    """The acquirer's settlement file for ``date`` as (filename, content, format). An adapter
    without a file of its own answers its report lines rendered in the sandbox CSV layout."""
    _outside_transaction("fetch_settlement_file")
    adapter = _adapter(connector)
    own = getattr(adapter.wrapped, "settlement_file", None)
    if own is not None:
        return own(date=date)
    from .sandbox.settlement import FileLine, render_file

    # The sandbox layout's record types: a dispute line is a chargeback, a fee line an adjustment.
    kinds = {"dispute": "chargeback", "fee": "adjustment"}
    lines = [
        FileLine(line.settled_on, kinds.get(line.type, line.type), line.gateway_reference,
                 line.reference, line.currency, line.amount, line.fee)
        for line in adapter.fetch_settlement_report(date=date)
    ]  # fmt: skip
    return f"{connector.code}-settlement-{date:%Y%m%d}.csv", render_file(lines, date), "sandbox_csv"


def health(*, connector: Connector) -> HealthStatus:
    """A read-only connectivity check (never moves money); a success closes an open circuit."""
    adapter = _adapter(connector)
    return _observed(connector, "health", adapter.health)


# --- payouts ----------------------------------------------------------------------------------


def payout_rail(code: str = "sandbox_bank") -> PayoutRail:
    """The bank rail that sends payouts; the sandbox bank is the only one today."""
    if code != "sandbox_bank":
        raise LookupError(f"No payout rail named {code!r}.")
    from .sandbox.bank import SandboxBank

    return SandboxBank()


def payout_submit(
    *,
    idempotency_key: str,
    amount: int,
    currency: str,
    account_number: str,
    today: dt.date,
    rail: str = "sandbox_bank",
) -> PayoutSubmitted:
    _outside_transaction("payout_submit")
    return payout_rail(rail).submit(
        idempotency_key=idempotency_key,
        amount=amount,
        currency=currency,
        account_number=account_number,
        today=today,
    )


def payout_outcome(*, reference: str, account_number: str, rail: str = "sandbox_bank") -> PayoutOutcome:
    _outside_transaction("payout_outcome")
    return payout_rail(rail).outcome(reference=reference, account_number=account_number)
