# Issue 21: the sandbox acquirer's books (one row per operation; written on every sandbox
# confirm), each index named with the query it serves (apps/connectors/sandbox/store.py):
# Kept: the pkey; idempotency_key's unique index (the acquirer's replay of a repeated request,
# DatabaseStore.get/put/update); reference's (DatabaseStore.find: `reference = %s`, and the
# disputes' sandbox timeline, `reference IN (…)`).
# Made partial: parent_reference (`WHERE parent_reference <> ''`): DatabaseStore.children
# (`parent_reference = 'ref'`, a literal the planner matches to the predicate); an authorization
# has no parent, so it writes no entry.
# Replaced by BRIN: created_at (the settlement file's `created_at >= start AND < end`, rows
# arrive in created_at order).
# Dropped: the three `_like` (varchar_pattern_ops) twins: every lookup, the admin's search
# included (`=reference`, `=parent_reference`, `=idempotency_key`), is an equality.

from django.db import migrations

from apps.core.migration_ops import brin, btree, pg_indexes

T = "connectors_sandboxtransaction"


def _like(column, name):
    return {name: btree(name, T, f'"{column}" varchar_pattern_ops')}


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0002_accounts"),
    ]

    operations = [
        pg_indexes(
            drop={
                **_like("idempotency_key", "connectors_sandboxtransaction_idempotency_key_4b816f41_like"),
                **_like("reference", "connectors_sandboxtransaction_reference_0aa4b84f_like"),
                **_like("parent_reference", "connectors_sandboxtransaction_parent_reference_3ae7b3d3_like"),
                "connectors_sandboxtransaction_parent_reference_3ae7b3d3": btree(
                    "connectors_sandboxtransaction_parent_reference_3ae7b3d3", T, '"parent_reference"'
                ),
                "connectors_sandboxtransaction_created_at_519bc845": btree(
                    "connectors_sandboxtransaction_created_at_519bc845", T, '"created_at"'
                ),
            },
            create={
                "sandbox_tx_parent": btree("sandbox_tx_parent", T, '"parent_reference"')
                + " WHERE parent_reference <> ''",
                f"{T}_created_at_brin": brin(T),
            },
        ),
    ]
