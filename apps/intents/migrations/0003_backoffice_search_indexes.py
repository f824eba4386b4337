# Back-office search and filter indexes on the payments table. Built CONCURRENTLY so a large live
# table is not locked against writes while they build (hence a non-atomic migration).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("intents", "0002_alter_paymentintent_options"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="paymentintent",
            index=models.Index(fields=["order_id"], name="pi_order_id"),
        ),
        AddIndexConcurrently(
            model_name="paymentintent",
            index=models.Index(fields=["status", "id"], name="pi_status_id"),
        ),
    ]
