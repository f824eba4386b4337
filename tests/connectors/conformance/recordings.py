"""The per-provider fixture contract of the conformance suite (``test_conformance.py``).

Each real provider ships ``tests/connectors/adapters/<code>/conformance.py`` exporting
``Recordings``, a subclass of ``ConformanceRecordings`` below. For every scenario of
``SCENARIOS`` its capability matrix supports, it has a method of the scenario's name returning a
``Scenario``: the provider's recorded HTTP exchanges (realistic bodies from its API reference:
real field names, ids, statuses, error bodies), what to feed the operation (``inputs``) and what
the adapter must answer (``expect``). The exchanges are replayed at the HTTP layer with
``responses`` (``replay``), so the adapter's SDK or HTTP code really runs; every recorded
exchange must be used, and an ``Exchange.check`` can assert what the adapter sent.

Scenarios, the matrix key that lets the suite skip them, and what ``expect``/``inputs`` hold:

===================== ====================== ==================================================
approve               —                      expect gateway_reference. Direct flow: authorize
                                             (capture=True) → Approved. A provider without the
                                             ``direct`` flow: start_redirect then confirm_redirect
                                             (inputs return_payload) → Approved.
decline               —                      expect decline_code, verdict (declines.classify).
three_ds_round_trip   three_d_secure, or a   authorize → RequiresAction (https url, reference);
                      redirect/qr/deep_link  complete_3ds / confirm_redirect (inputs
                      flow                   return_payload) → Approved (expect gateway_reference).
partial_capture       partial_capture        authorize(capture=False) → Approved; capture(inputs
                                             capture_amount < amount) → Approved for that amount.
void                  voids                  inputs gateway_reference → Approved.
partial_refund        partial_refunds        inputs gateway_reference, refund_amount → Approved
                                             (that amount) or Pending.
refund_failure        refunds                inputs gateway_reference, refund_amount → Declined
                                             (expect decline_code).
timeout_then_lookup   lookup                 the first exchange raises a read timeout: authorize
                                             → RetryableError(outcome_unknown=True); lookup(our
                                             key) → Approved (expect gateway_reference); lookup
                                             of inputs unknown_key → None.
timeout_then_lookup_  lookup_capture /       the same for a follow-up: capture / void / refund
capture / _void /     lookup_void /          of inputs gateway_reference (and amount) times out
_refund               lookup_refund          → RetryableError(outcome_unknown=True); lookup(
                                             operation, our key, reference=gateway_reference)
                                             → Approved or Pending (expect gateway_reference);
                                             lookup of inputs unknown_key (on inputs
                                             unknown_reference, default the same payment) → None.
callback_good_signature webhooks             ``callback()`` (signed with the recording's
                                             credentials) parses: expect type,
                                             gateway_reference, provider_event_id.
callback_bad_signature  webhooks             the same body, altered: InboundWebhookError
                                             signature_invalid.
duplicate_callback    webhooks               the same callback twice through the real inbound
                                             pipeline (PostgreSQL): the second is a duplicate.
settlement_report_parse settlement_reports   inputs date → SettlementLines: expect count,
                                             totals {currency: (amount, fee)}, types.
===================== ====================== ==================================================

Exchanges of a scenario are registered in order; ``responses`` answers repeated calls to one URL
with the registered answers in turn.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import requests
import responses

from apps.connectors.base import PaymentRequest

SCENARIOS = (
    "approve",
    "decline",
    "three_ds_round_trip",
    "partial_capture",
    "void",
    "partial_refund",
    "refund_failure",
    "timeout_then_lookup",
    "timeout_then_lookup_capture",
    "timeout_then_lookup_void",
    "timeout_then_lookup_refund",
    "callback_good_signature",
    "callback_bad_signature",
    "duplicate_callback",
    "settlement_report_parse",
)


@dataclass(frozen=True)
class ConformanceCard:
    number: str = "4111111111111111"
    exp_month: int = 3
    exp_year: int = 2030
    brand: str = "visa"


@dataclass
class Exchange:
    """One recorded provider exchange. ``url``: the full URL or a compiled regex. ``raises``: an
    exception the transport raises instead of answering (``requests.exceptions.ReadTimeout()``).
    ``check(request)``: assertions on what the adapter sent (``form_of``/``json_of`` help)."""

    method: str
    url: str | re.Pattern
    status: int = 200
    json: Any = None
    body: str | bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raises: Exception | None = None
    check: Callable[[requests.PreparedRequest], None] | None = None


@dataclass
class Scenario:
    exchanges: list[Exchange] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)


def form_of(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body or ""
    if isinstance(body, bytes):
        body = body.decode()
    return dict(parse_qsl(body, keep_blank_values=True))


def json_of(request: requests.PreparedRequest) -> Any:
    body = request.body or b"{}"
    return json.loads(body)


def replay(mock: responses.RequestsMock, exchanges: list[Exchange]) -> None:
    """Registers the exchanges on an active ``responses`` mock (``assert_all_requests_are_fired``)."""
    for exchange in exchanges:
        if exchange.raises is not None:
            error = exchange.raises

            def raising(request, error=error, check=exchange.check):
                if check is not None:
                    check(request)
                raise error

            mock.add_callback(exchange.method, exchange.url, callback=raising)
            continue
        content = exchange.body
        if content is None:
            content = json.dumps(exchange.json if exchange.json is not None else {})
        headers = {"Content-Type": "application/json", **exchange.headers}

        def answer(request, exchange=exchange, content=content, headers=headers):
            if exchange.check is not None:
                exchange.check(request)
            return exchange.status, headers, content

        mock.add_callback(exchange.method, exchange.url, callback=answer)


class ConformanceRecordings:
    """Base of a provider's recordings (see the module docstring). Subclasses set ``provider``,
    ``credentials`` (fake but shaped like the real ones) and the scenario methods."""

    provider: str = ""
    credentials: Mapping[str, str] = {}
    livemode: bool = False
    config: Mapping[str, Any] = {}
    amount: int = 1000
    currency: str = "EUR"
    documentation: tuple[str, ...] = ()
    # What the callback of ``callback()`` must parse to: type, gateway_reference,
    # provider_event_id, and optionally amount (minor units) and currency (upper case).
    callback_expect: Mapping[str, Any] = {}

    def card(self):
        return ConformanceCard()

    def request(self, scenario: str, **overrides) -> PaymentRequest:
        fields = {
            "idempotency_key": f"ch_conf_{scenario}",
            "amount": self.amount,
            "currency": self.currency,
            "payment_method_type": "card",
            "card": self.card(),
            "capture": True,
            "return_url": "https://shop.example/return",
            "description": "Order 1001",
            "metadata": {"order_id": "1001"},
            "reference": f"ch_conf_{scenario}",
            "merchant_reference": "acct_conformance",
        }
        fields.update(overrides)
        return PaymentRequest(**fields)

    def callback(self) -> tuple[bytes, dict[str, str]]:
        """A signed callback as the provider sends it (body, headers)."""
        raise NotImplementedError

    def callback_exchanges(self, scenario: str) -> list[Exchange]:
        """The provider calls a callback's verification makes (none for a signature checked
        locally; FIB's status read-back); ``scenario`` is one of the three callback scenarios."""
        return []

    def tamper(self, body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        """The callback altered after signing (default: an amount digit changed in the body)."""
        text = body.decode()
        changed = re.sub(r"(\d)(?!.*\d)", lambda m: str((int(m.group(1)) + 1) % 10), text, count=1)
        assert changed != text, "the callback has no digit to alter; override tamper()"
        return changed.encode(), headers

    @staticmethod
    def date(value: str) -> dt.date:
        return dt.date.fromisoformat(value)
