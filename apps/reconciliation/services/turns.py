"""A pass and finance's actions take turns (issue 14).

A pass reads its items, lines and open discrepancies early in its transaction and writes its
decisions at the end: a link, a mark-as-received or a resolution committed in between would be
overwritten by decisions made from what it read before (READ COMMITTED). So a pass holds an
exclusive transaction-level advisory lock, and every resolve action (and an approver's execution)
a shared one: actions run side by side, a pass waits for the actions in flight and they wait for
it (seconds for a day's volume). One key for the whole reconciliation, test and live mode alike:
passes are Celery jobs, nothing is gained by running two at once.

PostgreSQL only. SQLite (the embedded demo) lets one writer in at a time anyway."""

from __future__ import annotations

from django.db import connection

# pg_advisory_xact_lock(int4, int4): a namespace of our own, then the lock within it.
_NAMESPACE = 0x7265_636E  # "recn"
_PASS = 1


def _lock(function: str) -> None:
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("the reconciliation turn lock is taken inside the transaction it guards")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_NAMESPACE, _PASS])


def pass_turn() -> None:
    """Inside a pass's transaction: waits until no action is in flight, then keeps them out."""
    _lock("pg_advisory_xact_lock")


def action_turn() -> None:
    """Inside a resolve action's transaction: waits while a pass runs."""
    _lock("pg_advisory_xact_lock_shared")
