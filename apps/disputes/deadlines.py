"""When a dispute's evidence is due, by card network, when the network's event carries no date.

The network gives the acquirer a fixed number of calendar days from the chargeback to answer
(representment); the acquirer keeps some of them to package and send the response, so the
merchant's `due_by` is the network's window less DISPUTE_ACQUIRER_BUFFER_DAYS (default 7: Stripe
documents that merchants get "7 to 21 days depending on the network", docs.stripe.com/disputes/responding).

Network windows (calendar days from the chargeback):
- Visa: 30 — Visa Core Rules, Visa Claims Resolution: the acquirer's dispute response time limit.
  A Request for Information (inquiry): 30 as well.
- Mastercard: 45 — Mastercard Chargeback Guide, second presentment time frame. Mastercard has no
  inquiry stage for card-not-present; a retrieval request: 30.
- American Express: 20 — American Express Merchant Regulations, §11 Disputes: 20 days to answer
  an inquiry and a chargeback alike (Amex is a closed loop: no acquirer buffer is taken).
- Discover (and Diners Club, cleared on Discover's network): 30 — Discover Network Dispute Rules
  Manual, representment; a ticket retrieval request: 30.
- Anything else (JCB, UnionPay, unknown brands): 14 — no published figure we could cite; the
  conservative default keeps the merchant ahead of any network's clock.
An event that carries its own due date (Stripe's `evidence_details.due_by`) always wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class NetworkWindow:
    chargeback_days: int
    inquiry_days: int
    acquirer_buffer: bool = True  # False: the network deals with the merchant directly
    source: str = ""


NETWORK_WINDOWS: dict[str, NetworkWindow] = {
    "visa": NetworkWindow(30, 30, source="Visa Core Rules, Visa Claims Resolution"),
    "mastercard": NetworkWindow(45, 30, source="Mastercard Chargeback Guide, second presentment"),
    "amex": NetworkWindow(20, 20, acquirer_buffer=False, source="American Express Merchant Regulations §11"),
    "discover": NetworkWindow(30, 30, source="Discover Network Dispute Rules Manual"),
    "diners": NetworkWindow(30, 30, source="Discover Network Dispute Rules Manual (Diners Club)"),
}
DEFAULT_WINDOW = NetworkWindow(
    14, 14, acquirer_buffer=False, source="no published figure: conservative default"
)


def acquirer_buffer_days() -> int:
    return int(getattr(settings, "DISPUTE_ACQUIRER_BUFFER_DAYS", 7))


def response_window(network: str, *, inquiry: bool) -> dt.timedelta:
    window = NETWORK_WINDOWS.get((network or "").lower(), DEFAULT_WINDOW)
    days = window.inquiry_days if inquiry else window.chargeback_days
    if window.acquirer_buffer:
        days -= acquirer_buffer_days()
    return dt.timedelta(days=max(days, 1))


def deadline_table() -> list[tuple[str, int, int, str]]:
    """(network, merchant days for a chargeback, for an inquiry, source) — for the docs and the back office."""
    rows = []
    for name, window in [*NETWORK_WINDOWS.items(), ("other", DEFAULT_WINDOW)]:
        rows.append((name, response_window(name, inquiry=False).days, response_window(name, inquiry=True).days,
                     window.source))  # fmt: skip
    return rows
