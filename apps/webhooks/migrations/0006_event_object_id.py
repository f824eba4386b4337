"""Events get an indexed `object_id` (the id in `data.object.id`), backfilled from the payload, so
the payment workbench lists a payment's events (issue 18) by index instead of scanning the JSON."""

from django.db import migrations, models

BATCH = 5000


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # One statement per batch of ids keeps each UPDATE's lock and WAL bounded on a big table.
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM webhooks_event")
            low, high = cursor.fetchone()
            for start in range(low, high + 1, BATCH):
                cursor.execute(
                    "UPDATE webhooks_event SET object_id = left(data -> 'object' ->> 'id', 64) "
                    "WHERE id >= %s AND id < %s AND object_id = '' "
                    "AND jsonb_typeof(data -> 'object' -> 'id') = 'string'",
                    [start, start + BATCH],
                )
        return
    # SQLite (the embedded demo): a few thousand rows at most.
    Event = apps.get_model("webhooks", "Event")
    for event in Event.objects.filter(object_id="").only("id", "data").iterator(chunk_size=BATCH):
        obj = event.data.get("object") if isinstance(event.data, dict) else None
        found = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(found, str) and found:
            Event.objects.filter(pk=event.pk).update(object_id=found[:64])


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_stripe_wire_compat"),
        ("webhooks", "0005_hot_path_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="object_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["merchant", "livemode", "object_id"], name="event_object_idx"),
        ),
    ]
