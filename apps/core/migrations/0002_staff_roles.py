"""Creates the staff role groups. Their permissions are synced after every migrate from
apps/core/roles.py (so apps added later are covered)."""

from django.db import migrations

ROLES = ("finance", "support", "risk", "compliance", "admin")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
