# Back-office search and filter indexes on the payments table. Built CONCURRENTLY so a large live
# table is not locked against writes while they build (hence a non-atomic migration).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CONCURRENTLY on PostgreSQL; a plain CREATE INDEX elsewhere (embedded SQLite mode)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("intents", "0002_alter_paymentintent_options"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="paymentintent",
            index=models.Index(fields=["order_id"], name="pi_order_id"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="paymentintent",
            index=models.Index(fields=["status", "id"], name="pi_status_id"),
        ),
    ]
