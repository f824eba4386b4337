"""What the live-mode end-to-end tests of each provider share (tests/connectors/test_live_*.py):
the connector account, the ledger entry a charge or refund posted, and the scan that no secret
was stored anywhere. The live-mode API client is the ``live`` fixture (conftest.py)."""

from __future__ import annotations

from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.ledger.models import JournalEntry
from tests.intents.helpers import ACTOR
from tests.vault.test_no_card_number_anywhere import _hits, _text_columns


def live_connector(merchant, code: str, *, credentials, config=None, label=""):
    return connector_create(merchant=merchant, livemode=True, type=code, label=label or code, actor=ACTOR,
                            credentials=dict(credentials), config=dict(config or {}))  # fmt: skip


def postings(kind: str, source_id: str) -> dict[str, int]:
    """The one journal entry of ``kind`` for ``source_id`` (a charge or a refund id), as
    {account kind: signed amount}; its postings sum to zero."""
    entries = list(
        JournalEntry.objects.filter(kind=kind, source_id=source_id).prefetch_related("postings__account")
    )
    assert len(entries) == 1, (kind, source_id, entries)
    out: dict[str, int] = {}
    for posting in entries[0].postings.all():
        out[posting.account.kind] = out.get(posting.account.kind, 0) + posting.amount
    assert sum(out.values()) == 0, out
    return out


def assert_captured_in_ledger(charge: Charge, amount: int) -> dict[str, int]:
    """The capture posted the gross against the connector's clearing account (owed by the
    provider; balances are credit-positive), and the merchant's pending balance plus the platform
    fee make up the other side."""
    legs = postings(JournalEntry.Kind.CAPTURE, charge.public_id)
    assert legs["connector_clearing"] == -amount, legs
    assert legs["pending"] + legs.get("fees", 0) == amount, legs
    assert legs["pending"] > 0
    return legs


def assert_refunded_in_ledger(refund_id: str, amount: int) -> dict[str, int]:
    legs = postings(JournalEntry.Kind.REFUND, refund_id)
    assert legs["connector_clearing"] == amount, legs
    return legs


def assert_stored_nowhere(*secrets: str) -> None:
    """No text, JSON or binary column of the database holds any of ``secrets`` (the vault's
    envelope-encrypted ciphertext does not count: it holds none of them in the clear)."""
    assert _hits(_text_columns(), list(secrets)) == []
