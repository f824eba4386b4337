"""Every write to disputes: network events (inbound connector webhooks), the merchant's evidence
and acceptance, and the deadline job.

Locks in the house order (apps.intents.locks): intent, charge, then the dispute. A dispute is
created under its charge's lock and is unique per (connector, connector dispute id), so a replay
or a concurrent duplicate of the network's event finds the row and changes nothing.

Money: a chargeback (not an inquiry) withdraws the disputed amount and the dispute fee through
the ledger when the dispute is created; won reinstates the amount (the fee is kept, as Stripe
does); lost changes nothing more. A network flip after close is applied: won → lost withdraws
again under a new ledger round (no second fee), lost → won reinstates the current round. The
ledger's idempotency keys (dispute_debit:<key>, dispute_reversal:<key>) make each exactly-once.
"""

from .deadlines import REMINDERS, disputes_run_deadlines
from .evidence import dispute_close, dispute_request_accept, dispute_update
from .network import dispute_apply_inbound_event
from .sandbox import disputes_deliver_sandbox_notifications

__all__ = [
    "REMINDERS",
    "dispute_apply_inbound_event",
    "dispute_close",
    "dispute_request_accept",
    "dispute_update",
    "disputes_deliver_sandbox_notifications",
    "disputes_run_deadlines",
]
