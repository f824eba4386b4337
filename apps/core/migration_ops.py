"""Index changes that Django's model state cannot express, for migrations (issue 21).

Some indexes come from field attributes shared through abstract models (``created_at``'s
``db_index``, a ``TenantModel``'s merchant foreign key) or from Django itself (the ``_like``
``varchar_pattern_ops`` twin of every indexed or unique ``CharField``): removing them from the
model would change every table at once. ``pg_indexes`` below drops or replaces such an index by
its name on PostgreSQL only, reversibly (the reverse recreates the definition given); SQLite (the
embedded demo) keeps the model's indexes. The model state is unchanged.
"""

from __future__ import annotations

from django.db import migrations


def pg_indexes(*, drop: dict[str, str] | None = None, create: dict[str, str] | None = None):
    """A RunPython operation: ``drop`` maps an index name to the CREATE INDEX statement that
    rebuilds it (run on reverse); ``create`` maps a new index's name to its CREATE INDEX statement
    (dropped on reverse)."""
    drop, create = drop or {}, create or {}

    def swap(remove: dict[str, str], add: dict[str, str]):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            for name in remove:
                schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
            for sql in add.values():
                schema_editor.execute(sql)

        return run

    return migrations.RunPython(swap(drop, create), swap(create, drop), elidable=False)


def brin(table: str, column: str = "created_at") -> str:
    """A BRIN index on an append-ordered column: a few pages summarising block ranges, no entry
    per row (an insert into the table's last, unsummarised range writes nothing), and enough for
    a range filter on a table whose rows arrive in that column's order."""
    return f'CREATE INDEX IF NOT EXISTS "{table}_{column}_brin" ON "{table}" USING brin ("{column}")'


def btree(name: str, table: str, columns: str) -> str:
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING btree ({columns})'


def fillfactor(table: str, value: int):
    """A RunPython operation setting a table's fillfactor on PostgreSQL (reset on reverse): the
    free room left in each page lets an UPDATE put the new row version beside the old one, which
    a HOT update needs."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'ALTER TABLE "{table}" SET (fillfactor = {int(value)})')

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'ALTER TABLE "{table}" RESET (fillfactor)')

    return migrations.RunPython(forward, backward, elidable=False)
