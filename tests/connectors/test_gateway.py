"""The provider funnel: every call resolves the adapter of the connector row, returns normalised
results, and is refused inside an open transaction (a provider call must never hold row locks)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction

from apps.connectors import gateway
from apps.connectors.base import Approved, PaymentRequest, PayoutOutcome, PayoutSubmitted, RetryableError
from apps.connectors.services import connector_ensure_sandbox


@dataclass
class Card:
    number: str
    exp_month: int = 12
    exp_year: int = 2099
    brand: str = "visa"


def _request(key: str, number: str = "4242424242424242", **kw) -> PaymentRequest:
    kw.setdefault("amount", 1500)
    kw.setdefault("currency", "USD")
    return PaymentRequest(idempotency_key=key, card=Card(number), cvc="123", **kw)


@pytest.fixture
def connector(merchant):
    return connector_ensure_sandbox(merchant=merchant)


def test_authorize_then_capture_through_the_connector_row(connector):
    auth = gateway.authorize(connector=connector, request=_request("gw-auth-1", capture=False))
    assert isinstance(auth, Approved)
    captured = gateway.capture(
        connector=connector,
        idempotency_key="gw-auth-1:capture",
        gateway_reference=auth.gateway_reference,
        amount=1000,
        currency="USD",
    )
    assert isinstance(captured, Approved)
    # The sandbox remembers the attempt under our key: the janitor's lookup finds it.
    assert gateway.lookup(connector=connector, operation="authorize", idempotency_key="gw-auth-1") is not None


def test_a_call_inside_a_transaction_is_refused(connector, transactional_db):
    with pytest.raises(RuntimeError, match="inside a transaction"), transaction.atomic():
        gateway.authorize(connector=connector, request=_request("gw-in-txn"))


def test_an_adapter_exception_becomes_an_unknown_outcome(connector, monkeypatch):
    from apps.connectors.sandbox import SandboxAdapter

    def explode(self, **kwargs):
        raise ConnectionResetError("peer went away")

    monkeypatch.setattr(SandboxAdapter, "refund", explode)
    result = gateway.refund(
        connector=connector, idempotency_key="gw-re-1", gateway_reference="x", amount=100, currency="USD"
    )
    assert isinstance(result, RetryableError)
    assert result.outcome_unknown is True


def test_payouts_go_through_the_rail():
    submitted = gateway.payout_submit(
        idempotency_key="po-key-1", amount=5000, currency="USD", account_number="000123456789",
        today=dt.date(2026, 12, 1),
    )  # fmt: skip
    assert isinstance(submitted, PayoutSubmitted)
    assert submitted.arrival_date == dt.date(2026, 12, 2)
    again = gateway.payout_submit(
        idempotency_key="po-key-1", amount=5000, currency="USD", account_number="000123456789",
        today=dt.date(2026, 12, 1),
    )  # fmt: skip
    assert again.reference == submitted.reference  # idempotent per our key
    assert gateway.payout_outcome(
        reference=submitted.reference, account_number="000123456789"
    ) == PayoutOutcome(paid=True)
    failed = gateway.payout_outcome(reference="r", account_number="000111111116")
    assert (failed.paid, failed.failure_code) == (False, "no_account")
    with pytest.raises(LookupError):
        gateway.payout_rail("wire_transfer_co")


def test_lookup_names_the_operation_and_asks_only_what_the_account_can_answer(connector):
    auth = gateway.authorize(connector=connector, request=_request("gw-look-1", capture=False))
    captured = gateway.capture(connector=connector, idempotency_key="gw-look-1:capture",
                               gateway_reference=auth.gateway_reference, amount=1500, currency="USD")  # fmt: skip
    found = gateway.lookup(connector=connector, operation="capture", idempotency_key="gw-look-1:capture",
                           reference=auth.gateway_reference)  # fmt: skip
    assert isinstance(found, Approved) and found.gateway_reference == captured.gateway_reference
    # the same key asked as another operation is not a match, and never "not received"
    other = gateway.lookup(connector=connector, operation="refund", idempotency_key="gw-look-1:capture")
    assert isinstance(other, RetryableError) and other.outcome_unknown
    # an account narrowed to no capture lookup is answered without asking the provider
    connector.capabilities = {"lookup_capture": False}
    connector.save(update_fields=["capabilities"])
    refused = gateway.lookup(connector=connector, operation="capture", idempotency_key="gw-look-1:capture")
    assert (
        isinstance(refused, RetryableError)
        and refused.code == "lookup_not_supported"
        and refused.outcome_unknown
    )
    with pytest.raises(ValueError):
        gateway.lookup(connector=connector, operation="dispute", idempotency_key="gw-look-1")
