"""Configuration history (django-pghistory): recorded by triggers, shown on the object's page,
and append-only — neither the admin nor SQL can change or delete an event."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from pghistory.models import Events

from apps.merchants.models import ApiKey, MerchantSettings
from tests.admin.staff import staff_user
from tests.merchants.factories import api_key_create

pytestmark = pytest.mark.django_db


def test_settings_changes_are_recorded_even_by_bulk_update(merchant):
    settings_row = MerchantSettings.objects.get(merchant=merchant)
    MerchantSettings.objects.filter(pk=settings_row.pk).update(refund_approval_threshold=50_000)
    events = list(Events.objects.tracks(settings_row).order_by("pgh_created_at"))
    assert [e.pgh_label for e in events][-1] == "update"
    assert events[-1].pgh_diff["refund_approval_threshold"] == [None, 50_000]


def test_api_key_use_is_not_history_but_revocation_is(merchant):
    key, _ = api_key_create(merchant)
    from django.utils import timezone

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    assert [e.pgh_label for e in Events.objects.tracks(key)] == ["insert"]
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert sorted(e.pgh_label for e in Events.objects.tracks(key)) == ["insert", "update"]
    assert all("hashed_key" not in (e.pgh_data or {}) for e in Events.objects.tracks(key))


@pytest.mark.parametrize("sql", ["UPDATE {table} SET pgh_label = 'forged'", "DELETE FROM {table}"])
@pytest.mark.parametrize("model", [MerchantSettings, ApiKey])
def test_events_refuse_sql_update_and_delete(merchant, model, sql):
    api_key_create(merchant)
    event_model = model.pgh_event_models["update"] if hasattr(model, "pgh_event_models") else None
    table = (event_model or _event_model(model))._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        before = cur.fetchone()[0]
    assert before >= 1
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql.format(table=table))
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE pgh_label = 'forged'")
        assert cur.fetchone()[0] == 0
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == before


def _event_model(model):
    from django.apps import apps

    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")


def test_admin_shows_history_and_offers_no_edit(client, merchant):
    key, _ = api_key_create(merchant)
    ApiKey.objects.filter(pk=key.pk).update(name="renamed by ops")
    admin_user = staff_user("admin", "ada")
    client.force_login(admin_user)
    page = client.get(reverse("admin:merchants_apikey_change", args=[key.pk])).content.decode()
    assert "History of changes" in page and "renamed by ops" in page
    merchant_page = client.get(
        reverse("admin:merchants_merchant_change", args=[merchant.pk])
    ).content.decode()
    assert "History of settings changes" in merchant_page
    events_url = reverse("admin:pghistory_events_changelist")
    assert client.get(events_url).status_code == 200
    compliance = staff_user("compliance", "cora")
    client.force_login(compliance)
    assert client.get(events_url).status_code == 200
    event = Events.objects.tracks(key).first()
    assert client.post(reverse("admin:pghistory_events_change", args=[event.pk]), {}).status_code == 403
    assert (
        client.post(reverse("admin:pghistory_events_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_history_context_is_attached_to_config_changes_not_to_payments(api, merchant):
    """pghistory's context costs a set_config round trip per query: only configuration requests pay it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as config_queries:
        assert api.patch("/v1/settings", {"settlement_delay_days": 4}, format="json").status_code == 200
    assert any("pghistory.context" in q["sql"] for q in config_queries.captured_queries)
    with CaptureQueriesContext(connection) as payment_queries:
        api.post("/v1/customers", {"email": "a@example.com"}, format="json")
    assert not any("pghistory.context" in q["sql"] for q in payment_queries.captured_queries)
