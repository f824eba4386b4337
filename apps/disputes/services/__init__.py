"""Every write to disputes: network events (network.py, inbound connector webhooks), the
merchant's and staff's evidence and acceptance (evidence.py), the ledger side (money.py), the
deadline job (deadlines.py) and the sandbox acquirer's callbacks (sandbox.py).

Locks in the house order (apps.intents.locks): intent, charge, then the dispute. A dispute is
created under its charge's lock and is unique per (connector, connector dispute id), so a replay
or a concurrent duplicate of the network's event finds the row and changes nothing.

Money: a chargeback (not an inquiry) withdraws the disputed amount and the dispute fee through
the ledger when the dispute is created (the fee from apps/disputes/fees.py); won reinstates the
amount (the fee is kept, as Stripe does, unless the merchant's policy refunds it); lost changes
nothing more. A network flip after close is applied: won → lost withdraws again under a new ledger
round (the fee again only if the win refunded it), lost → won reinstates the current round. The
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
