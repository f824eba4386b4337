from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0002_staff_roles")]

    operations = [
        migrations.CreateModel(
            name="SchedulerHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True)),
                ("last_run_at", models.DateTimeField()),
            ],
        ),
    ]
