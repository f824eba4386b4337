"""The event types Clearhouse emits, so a webhook endpoint subscribing to a misspelt type
(`payment.succeded`) is refused by name instead of silently never firing.

The list below names Stripe's types for the resources Clearhouse has, plus its own
(`charge.voided`, `charge.outcome_unknown`, `payout.*` approvals, …). An app that emits other
types registers them in its `AppConfig.ready()` (`register_event_types("risk.review.opened")`);
tests/webhooks/test_catalog.py checks every type written in the source is known.
"""

from __future__ import annotations

import difflib

EVENT_TYPES: set[str] = {
    "balance.available",
    "bank_account.created",
    "bank_account.deleted",
    "bank_account.updated",
    "charge.authorized",
    "charge.captured",
    "charge.dispute.closed",
    "charge.dispute.created",
    "charge.dispute.deadline_reminder",
    "charge.dispute.funds_reinstated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.updated",
    "charge.expired",
    "charge.failed",
    "charge.outcome_unknown",
    "charge.pending",
    "charge.refund.updated",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "charge.voided",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
    "payment_intent.created",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_intent.updated",
    "payment_method.attached",
    "payment_method.created",
    "payment_method.deleted",
    "payment_method.detached",
    "payment_method.microdeposits_sent",
    "payment_method.updated",
    "payment_method.verification_failed",
    "payment_method.verification_locked",
    "payment_method.verified",
    "payout.approved",
    "payout.canceled",
    "payout.created",
    "payout.failed",
    "payout.in_transit",
    "payout.paid",
    "payout.rejected",
    "payout.updated",
    "refund.approved",
    "refund.canceled",
    "refund.created",
    "refund.failed",
    "refund.rejected",
    "refund.succeeded",
    "refund.updated",
    "webhook_endpoint.disabled",
}


def register_event_types(*types: str) -> None:
    """For an app that emits types of its own (call it from its AppConfig.ready())."""
    EVENT_TYPES.update(types)


def _prefixes() -> set[str]:
    found = set()
    for name in EVENT_TYPES:
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return found


def is_known(pattern: str) -> bool:
    """`*`, a known type, or `<prefix>.*` where some known type starts with `<prefix>.`."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return True
    return pattern.endswith(".*") and pattern[:-2] in _prefixes()


def closest(pattern: str) -> str | None:
    """The known type a misspelt one most likely meant, for the error message."""
    matches = difflib.get_close_matches(pattern, sorted(EVENT_TYPES), n=1, cutoff=0.6)
    return matches[0] if matches else None
