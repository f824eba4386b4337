import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEntry
from apps.audit.services import Actor, audit_record


@pytest.fixture
def entry(merchant):
    return audit_record(
        actor=Actor.system("tests"),
        action="thing.done",
        merchant=merchant,
        object_type="x",
        object_id="x_1",
        after={"a": 1},
        reason="because",
    )


@pytest.mark.django_db
def test_orm_update_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")


@pytest.mark.django_db
def test_orm_delete_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET reason = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_update_and_delete_are_refused(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.reason == "because"


@pytest.mark.django_db
def test_admin_offers_no_change_or_delete(admin_client, entry):
    page = admin_client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        admin_client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
