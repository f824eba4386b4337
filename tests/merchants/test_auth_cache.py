"""API-key authentication reads the key, merchant and settings from the versioned cache
(apps/merchants/cache.py, apps/core/hotcache.py): a second request reads none of them, and every
way they change (services, save, QuerySet.update, delete) is seen by the next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.services import Actor
from apps.core import hotcache
from apps.ledger.models import FeeSchedule
from apps.merchants.models import ApiKey, Merchant, MerchantSettings
from apps.merchants.services import api_key_revoke, merchant_settings_update
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db(transaction=True)  # entries are stored outside transactions

ACTOR = Actor.system("tests")
CACHED_TABLES = ("merchants_apikey", "merchants_merchant", "merchants_merchantsettings", "ledger_feeschedule")


def _reads(ctx, table: str) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


def test_second_confirm_reads_no_key_merchant_settings_or_fees(api, merchant):
    pm = make_card(merchant)
    assert pay(api, pm, amount=1000).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        resp = pay(api, pm, amount=1000)
    assert resp.status_code == 200 and resp.json()["status"] == "succeeded"
    for table in CACHED_TABLES:
        assert _reads(ctx, table) == [], table
    # last_used_at is written at most once a minute, and written back to the cached copy
    assert not [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "merchants_apikey"')]


def test_revoked_key_is_refused_on_the_next_request(api, merchant):
    assert api.get("/v1/settings").status_code == 200
    key = ApiKey.objects.get(merchant=merchant)
    api_key_revoke(merchant=merchant, key_id=key.public_id, actor=ACTOR)
    response = api.get("/v1/settings")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_revoked"


def test_queryset_update_of_the_key_is_seen(api, merchant):
    assert api.get("/v1/settings").status_code == 200
    ApiKey.objects.filter(merchant=merchant).update(revoked_at=timezone.now())
    assert api.get("/v1/settings").json()["error"]["code"] == "api_key_revoked"


def test_deleted_key_is_refused(api, merchant):
    assert api.get("/v1/settings").status_code == 200
    ApiKey.objects.filter(merchant=merchant).delete()
    assert api.get("/v1/settings").json()["error"]["code"] == "api_key_invalid"


def test_suspended_merchant_by_update_and_by_save(api, merchant):
    assert api.get("/v1/settings").status_code == 200
    Merchant.objects.filter(pk=merchant.pk).update(status=Merchant.Status.SUSPENDED)
    assert api.get("/v1/settings").json()["error"]["code"] == "account_suspended"
    merchant.refresh_from_db()
    merchant.status = Merchant.Status.ACTIVE
    merchant.save()
    assert api.get("/v1/settings").status_code == 200


def test_settings_change_reaches_the_payment_path(api, merchant):
    pm = make_card(merchant)
    assert pay(api, pm, amount=5000).status_code == 200
    merchant_settings_update(merchant=merchant, changes={"max_authorization_amount": 4000}, actor=ACTOR)
    refused = pay(api, pm, amount=5000)
    assert refused.status_code == 400, refused.json()
    MerchantSettings.objects.filter(merchant=merchant).update(max_authorization_amount=10_000)
    assert pay(api, pm, amount=5000).status_code == 200


def test_new_fee_schedule_applies_to_the_next_capture(api, merchant):
    pm = make_card(merchant)
    first = pay(api, pm, amount=10_000).json()
    assert first["latest_charge"]
    FeeSchedule.objects.create(merchant=merchant, currency="USD", percent_bp=290, fixed_amount=30)
    second = pay(api, pm, amount=10_000).json()
    charge = api.get(f"/v1/charges/{second['latest_charge']}").json()
    assert charge["application_fee_amount"] == 320


def test_a_fill_that_raced_an_invalidation_is_not_trusted():
    """A reader loaded the old row, the writer committed and invalidated, then the reader stored
    what it had loaded: that entry carries the version from before, so the next read loads again."""
    loads = []

    def load_old_then_writer_changes():
        loads.append("old")
        hotcache.invalidate(["race-scope"])  # the writer's commit happens while we were loading
        return "old"

    assert hotcache.read_through("race-scope", "race-entry", load_old_then_writer_changes)[0] == "old"
    value, _ = hotcache.read_through("race-scope", "race-entry", lambda: loads.append("new") or "new")
    assert value == "new" and loads == ["old", "new"]
    # and a current entry is trusted
    assert hotcache.read_through("race-scope", "race-entry", lambda: "never")[0] == "new"


def test_a_per_process_cache_is_not_used(settings, api, merchant):
    """With locmem (each process its own) an invalidation in one process would not reach the
    others: every request reads the database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not hotcache.enabled()
    assert api.get("/v1/settings").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/v1/settings").status_code == 200
    assert _reads(ctx, "merchants_apikey")
