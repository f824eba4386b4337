"""The intents' hot path in PostgreSQL (issue 21): the statements Django's compiler is kept off.

Step 3 of an attempt (record the provider's answer) is two statements inside its transaction:
``attempt_lock`` — the intent row, then its charge row, locked ``FOR UPDATE`` in the lock order
of ``locks.py`` (the charge is read through the locked intent), with the merchant's ledger debt
when a capture will post — and one ``WriteBatch`` (apps/core/sql.py) holding every write of the
outcome: charge and intent UPDATEs, journal entry, postings, balance transaction, capture record,
audit entry, outbox events. Step 1 of create+confirm is likewise one batch (intent, its audit
entry and ``created`` event, the attempt marked ``submitting``, risk's decision and the vault's
detokenize audit entry, which join it through ``apps.core.sql.collecting``), sent in autocommit as
its own transaction (``one_statement_transaction``: no BEGIN/COMMIT).

Only the intent's and charge's own columns are read (no joins of merchant, customer, payment
method: the request already holds those objects), with no ORDER BY. The ORM path stays the
reference and the default elsewhere; ``hot_sql_enabled()`` picks this one (PostgreSQL and
``INTENTS_HOT_SQL``), and tests/intents/test_hot_sql.py checks both leave the same rows.
"""

from __future__ import annotations

from apps.core.sql import hot_cursor, instance_from, select_columns
from apps.ledger.sql import MERCHANT_DEBT_SQL

from .models import Charge, PaymentIntent


def _lock_sql(with_debt: bool) -> str:
    debt = MERCHANT_DEBT_SQL if with_debt else "0"
    # column lists from the models' meta; values are parameters
    return (
        f"WITH i AS (SELECT {select_columns(PaymentIntent, 'pi')} FROM intents_paymentintent pi "  # noqa: S608
        f"WHERE pi.id = %s FOR UPDATE) "
        f"SELECT i.*, c.*, {debt} FROM i LEFT JOIN LATERAL ("
        f"SELECT {select_columns(Charge, 'ch')} FROM intents_charge ch "
        f"WHERE ch.id = %s AND ch.payment_intent_id = i.id FOR UPDATE) c ON true"
    )


_SQL: dict[bool, str] = {}


def attempt_lock(
    intent_id: int, charge_id: int, *, debt_of: tuple[int, bool, str] | None = None
) -> tuple[PaymentIntent, Charge, int]:
    """Locks and reads the intent, then its charge (one round trip), as ``payment_intent_lock``
    then ``charge_lock``. ``debt_of``: (merchant id, livemode, currency) whose ledger debt to read
    in the same statement (0 when not asked)."""
    with_debt = debt_of is not None
    sql = _SQL.get(with_debt)
    if sql is None:
        sql = _SQL[with_debt] = _lock_sql(with_debt)
    params = [intent_id, *(debt_of or ()), charge_id] if with_debt else [intent_id, charge_id]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise PaymentIntent.DoesNotExist(f"payment intent {intent_id}")
    intent, offset = instance_from(PaymentIntent, row)
    if row[offset] is None:
        raise Charge.DoesNotExist(f"charge {charge_id} of payment intent {intent_id}")
    charge, offset = instance_from(Charge, row, offset)
    return intent, charge, int(row[offset])
