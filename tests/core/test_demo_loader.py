import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from apps.audit.models import AuditEntry
from apps.merchants.models import ApiKey, Merchant


def _counts():
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.db_table in tables
        and m._meta.app_label.startswith(
            (
                "merchants",
                "vault",
                "intents",
                "refunds",
                "ledger",
                "payouts",
                "webhooks",
                "connectors",
                "approvals",
            )
        )
    } | {"users": User.objects.count(), "audit": AuditEntry.objects.count()}


@pytest.mark.django_db
def test_demo_loader_is_idempotent_and_prints_working_keys():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    first = _counts()
    out2 = io.StringIO()
    call_command("load_demo", stdout=out2)
    assert _counts() == first
    assert Merchant.objects.count() == 1
    text = out2.getvalue()
    secret = next(line.split()[-1] for line in text.splitlines() if "Secret key:" in line)
    assert secret.startswith("sk_test_")
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/v1/settings").status_code == 200
    assert ApiKey.objects.count() == 2
    for role in ("finance", "support", "risk", "compliance", "admin"):
        user = User.objects.get(username=role)
        assert user.is_staff and not user.is_superuser
        assert user.groups.filter(name=role).exists()
        assert f"{role}" in text


@pytest.mark.django_db
def test_roles_exist_with_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "finance",
        "support",
        "risk",
        "compliance",
        "admin",
    }
    compliance = Group.objects.get(name="compliance")
    assert compliance.permissions.filter(codename="view_auditentry").exists()
    assert not Group.objects.get(name="admin").permissions.filter(codename="change_auditentry").exists()
    assert not Group.objects.get(name="risk").permissions.filter(codename="view_auditentry").exists()
    assert not Group.objects.get(name="support").permissions.filter(codename="add_auditexport").exists()
