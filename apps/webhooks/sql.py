"""Set-based writes of the delivery worker (issue 21, item 3), PostgreSQL only.

`deliveries_update_owned` records a group of outcomes as one `UPDATE … FROM (VALUES …)`: each
row is updated only where its lease is still the one the sender claimed with (so the statement
is also the ownership check), and the ids updated come back. On other databases (SQLite, the
embedded demo) the caller's per-row ORM updates do the same (`set_based_enabled`);
tests/webhooks/services/test_sending.py runs both and compares the rows.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from .models import Delivery


def set_based_enabled() -> bool:
    return connection.vendor == "postgresql"


def deliveries_update_owned(rows: list[tuple[int, datetime, dict]], *, fields: list[str]) -> set[int]:
    """`rows` are (pk, lease, {field: value}) with a value for each of `fields`; returns the
    indexes in `rows` of those written (whose `lease_until` still equals their lease: of two
    sends of one row in a group, only the current lease's is). One statement for the group."""
    if not rows:
        return set()
    model_fields = [Delivery._meta.get_field(name) for name in fields]
    lease_field = Delivery._meta.get_field("lease_until")
    quote = connection.ops.quote_name
    casts = ["%s::integer", "%s::bigint", f"%s::{lease_field.db_type(connection)}"] + [
        f"%s::{f.db_type(connection)}" for f in model_fields
    ]
    row_sql = "(" + ", ".join(casts) + ")"
    params: list = []
    for index, (pk, lease, values) in enumerate(rows):
        params += [index, pk, lease_field.get_db_prep_save(lease, connection)]
        params += [f.get_db_prep_save(values[f.name], connection) for f in model_fields]
    columns = ["idx", "pk", "lease"] + [f"v_{f.column}" for f in model_fields]
    table = quote(Delivery._meta.db_table)
    sets = ", ".join(f"{quote(f.column)} = v.{quote('v_' + f.column)}" for f in model_fields)
    sql = (
        f"UPDATE {table} AS d SET {sets} "  # noqa: S608 (names from the model, values as parameters)
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v({', '.join(quote(c) for c in columns)}) "
        f"WHERE d.{quote(Delivery._meta.pk.column)} = v.{quote('pk')} "
        f"AND d.{quote(lease_field.column)} = v.{quote('lease')} "
        f"RETURNING v.{quote('idx')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}
