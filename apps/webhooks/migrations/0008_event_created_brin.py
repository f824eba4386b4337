# Issue 21: a confirm writes three events. Their index set, each index with its query:
# pkey (the fan-out's and the sweeper's row locks by id); public_id's unique key (ids unique
# across tenants; the admin's `=public_id` search); event_tenant_idx (retrieve/list by id within
# a tenant, webhooks/selectors.py); event_type_idx (list ?type=); event_object_idx (a payment's
# events, by object id); event_not_fanned_out_idx (events_outbox_sweep, partial: rows not yet
# fanned out). The merchant FK index went in 0005.
# created_at's B-tree becomes a BRIN index on PostgreSQL: its queries are ranges (the retention
# purge's `created_at < cutoff`, the admin's date filter) on rows that arrive in created_at order.

from django.db import migrations

from apps.core.migration_ops import brin, btree, pg_indexes

T = "webhooks_event"


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0007_delivery_lease"),
    ]

    operations = [
        pg_indexes(
            drop={
                "webhooks_event_created_at_b7da99cf": btree(
                    "webhooks_event_created_at_b7da99cf", T, '"created_at"'
                )
            },
            create={f"{T}_created_at_brin": brin(T)},
        ),
    ]
