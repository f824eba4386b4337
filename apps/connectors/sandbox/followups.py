"""The sandbox acquirer's follow-ups on an authorization: capture, void, refund (and the void of
a refund still pending), each idempotent on our key, and the lookup of any of them (and of the
authorization) by that key that the re-check janitor and failover ask."""

from __future__ import annotations

import datetime as dt
import functools

from apps.connectors.base import Approved, Declined, Pending, RetryableError, result_from_dict, result_to_dict
from apps.connectors.sandbox.store import SandboxRecord
from apps.connectors.sandbox.tokens import _fault, _latency, _token

AUTHORIZATION_VALIDITY = dt.timedelta(days=7)


class SandboxFollowUps:
    """Mixed into ``SandboxAdapter``: it provides ``store``, ``_fault_result`` and ``_maybe_dispute``."""

    # ------------------------------------------------------------------ follow-ups
    def _follow_up_result(self, operation, parent, *, reference, gateway_reference, amount):
        """What the acquirer answers to a capture, void or refund of ``parent`` (None when the
        acquirer has no record of the reference)."""
        unknown = Declined(
            code="processing_error",
            decline_code="processing_error",
            network_code="12",
            message=f"No approved authorization {gateway_reference} to {operation}.",
            gateway_reference=reference,
        )
        if parent is None:
            return unknown
        if (
            operation in ("capture", "void")
            and parent.created_at < dt.datetime.now(dt.UTC) - AUTHORIZATION_VALIDITY
        ):
            return Declined(
                code="charge_expired_for_capture",
                decline_code="expired_authorization",
                network_code="54",
                message="The authorization has expired.",
                gateway_reference=reference,
            )
        if operation == "void" and parent.operation == "refund":
            return self._cancel_refund(
                parent, reference=reference, gateway_reference=gateway_reference, amount=amount
            )
        if parent.status != "approved":
            return unknown
        if operation == "refund" and parent.behaviour == "refund_fails_async":
            return Pending(gateway_reference=reference, message="Refund submitted; the issuer answers later.")
        return Approved(gateway_reference=reference, amount=amount, raw={"parent": gateway_reference})

    def _cancel_refund(self, parent, *, reference, gateway_reference, amount):
        """A void of a refund: only while the refund is still pending at the issuer."""
        if parent.status != "pending":
            return Declined(
                code="refund_not_cancelable",
                decline_code="refund_not_cancelable",
                network_code="12",
                message="The refund is already final.",
                gateway_reference=reference,
            )
        canceled = Declined(
            code="refund_canceled",
            decline_code="refund_canceled",
            network_code="",
            message="The refund was canceled before it settled.",
            gateway_reference=parent.reference,
        )
        self.store.update(parent.idempotency_key, status="canceled", result=result_to_dict(canceled))
        return Approved(gateway_reference=reference, amount=amount, raw={"parent": gateway_reference})

    def _follow_up(self, operation, *, idempotency_key, gateway_reference, amount, currency, metadata=None):
        _latency(metadata)
        fault = _fault(metadata, operation)
        early = self._fault_result(fault)
        if early:
            return early
        previous = self.store.get(idempotency_key)
        if previous is not None:
            return result_from_dict(previous.result)
        parent = self.store.get_by_reference(gateway_reference)
        reference = _token(f"sbx{operation[:2]}", idempotency_key)
        result = self._follow_up_result(
            operation, parent, reference=reference, gateway_reference=gateway_reference, amount=amount
        )
        stored = self.store.add(
            SandboxRecord(
                idempotency_key=idempotency_key,
                operation=operation,
                reference=reference,
                status=result.outcome,
                amount=amount,
                currency=currency,
                parent_reference=gateway_reference,
                behaviour=parent.behaviour if parent else "",
                result=result_to_dict(result),
            )
        )
        if operation == "capture" and stored.status == "approved" and parent is not None:
            self._maybe_dispute(stored, parent_reference=gateway_reference)
        if fault == "timeout_after_processing":
            return RetryableError(
                code="timeout", message="The sandbox acquirer did not answer in time.", outcome_unknown=True
            )
        return result_from_dict(stored.result)

    # capture, void and refund differ only in what _follow_up_result decides.
    capture = functools.partialmethod(_follow_up, "capture")
    void = functools.partialmethod(_follow_up, "void")
    refund = functools.partialmethod(_follow_up, "refund")

    def lookup(self, *, operation: str, idempotency_key: str, reference: str = ""):
        """Every operation can be looked up: the acquirer keeps each one under our key. A record
        under the key that is another operation, or a follow-up on another payment than
        ``reference``, is not the one asked for: an error (never "not received", never a guess)."""
        record = self.store.get(idempotency_key)
        if record is None:
            return None
        if record.operation != operation or (
            operation != "authorize" and reference and record.parent_reference != reference
        ):
            return RetryableError(
                code="lookup_mismatch", outcome_unknown=True,
                message=f"The key {idempotency_key} holds a {record.operation} of {record.parent_reference or 'no payment'}.",
            )  # fmt: skip
        if record.status == "requires_action":
            return Pending(
                gateway_reference=record.result.get("gateway_reference", ""), message="Awaiting the customer."
            )
        if (
            record.status == "pending"
            and record.operation == "refund"
            and record.behaviour == "refund_fails_async"
        ):
            # The issuer's late answer for 4000 0000 0000 5126: the refund fails.
            failed = Declined(
                code="refund_failed",
                decline_code="refund_failed",
                network_code="05",
                message="The issuer refused the refund.",
                gateway_reference=record.reference,
            )
            self.store.update(idempotency_key, status="declined", result=result_to_dict(failed))
            return failed
        return result_from_dict(record.result)
