"""The vault's read on the payment path in PostgreSQL (issue 21): the payment method of a
confirm with its customer, vault record and CVC hold, in one statement without Django's compiler.

The ORM read (``selectors.payment_method_for_payment``'s reference path) selects the same four
rows through ``select_related`` and ``.first()``; building that query, its 61 columns and the
``ORDER BY`` that ``.first()`` adds cost more CPU than the rest of the read. Here the column
lists come from the models' meta (``apps.core.sql.select_columns``), the text is built once per
process, and the instances get the related caches ``select_related`` would have set, so callers
see the same objects. tests/vault/test_payment_method_read.py compares both reads. The statement
runs prepared (``hot_cursor``), so PostgreSQL plans the join once per connection.
"""

from __future__ import annotations

from apps.core.sql import hot_cursor, instance_from, select_columns

from .models import Customer, CvcHold, PaymentMethod, VaultRecord

_SQL: list[str] = []


def _sql() -> str:
    if not _SQL:
        # identifiers from the models' meta; the values are parameters
        _SQL.append(
            f"SELECT {select_columns(PaymentMethod, 'pm')}, {select_columns(Customer, 'cu')}, "  # noqa: S608
            f"{select_columns(VaultRecord, 'vr')}, {select_columns(CvcHold, 'ch')} "
            f"FROM {PaymentMethod._meta.db_table} pm "
            f"LEFT JOIN {Customer._meta.db_table} cu ON cu.id = pm.customer_id "
            f"LEFT JOIN {VaultRecord._meta.db_table} vr ON vr.id = pm.vault_record_id "
            f"LEFT JOIN {CvcHold._meta.db_table} ch ON ch.vault_record_id = vr.id "
            f"WHERE pm.merchant_id = %s AND pm.livemode = %s AND pm.public_id = %s "
            f"AND pm.deleted_at IS NULL"
        )
    return _SQL[0]


def _related(model, row, offset: int):
    """The instance of ``model`` at ``offset`` (None when the LEFT JOIN found no row: its primary
    key is NULL) and the offset after its columns."""
    width = len(model._meta.concrete_fields)
    pk_at = offset + next(i for i, f in enumerate(model._meta.concrete_fields) if f.primary_key)
    if row[pk_at] is None:
        return None, offset + width
    return instance_from(model, row, offset)


def payment_method_for_payment_row(
    *, merchant_id: int, livemode: bool, public_id: str
) -> PaymentMethod | None:
    """The live payment method ``public_id`` of the tenant, with ``customer``, ``vault_record``
    and ``vault_record.cvc_hold`` loaded as ``select_related`` loads them, or None. ``public_id``
    is unique: at most one row, so no ORDER BY."""
    # prepared (hot_cursor): planning the four-table join took ~0.7 ms of PostgreSQL CPU per
    # confirm, its execution ~0.07 ms (issue 21, bench/confirm_statements.py)
    with hot_cursor() as cursor:
        cursor.execute(_sql(), [merchant_id, livemode, public_id])
        row = cursor.fetchone()
    if row is None:
        return None
    pm, offset = instance_from(PaymentMethod, row)
    customer, offset = _related(Customer, row, offset)
    record, offset = _related(VaultRecord, row, offset)
    hold, offset = _related(CvcHold, row, offset)
    pm._state.fields_cache["customer"] = customer
    pm._state.fields_cache["vault_record"] = record
    if record is not None:
        record._state.fields_cache["payment_method"] = pm  # the one-to-one's other side
        record._state.fields_cache["cvc_hold"] = hold  # None: the reverse accessor raises DoesNotExist
        if hold is not None:
            hold._state.fields_cache["vault_record"] = record
    return pm
