"""Value-list members come from the versioned cache (apps/risk/cache.py): a payment's list check
asks the database nothing once the tenant's lists are cached, and every way a list or an item
changes is seen by the very next check (no stale membership: a value just blocked is blocked)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.services import Actor
from apps.core import hotcache
from apps.risk import cache as risk_cache
from apps.risk.models import ValueList, ValueListItem
from apps.risk.services.engine import compile_rules, members_for
from apps.risk.services.value_lists import (
    value_list_create,
    value_list_delete,
    value_list_item_create,
    value_list_item_delete,
    value_list_update,
)
from tests.merchants.factories import MerchantFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),  # entries are stored on commit, as in production
    pytest.mark.skipif(not hotcache.enabled(), reason="the members cache needs the shared Redis"),
]
ACTOR = Actor.system("tests")
RULES = compile_rules(
    [SimpleNamespace(enabled=True, rule_id="r1", action="block", predicate=":email: in @blocked")]
)


def _members(merchant, email):
    return members_for(merchant.pk, False, RULES, {"email": email})


def _list_queries(ctx) -> int:
    return sum("risk_valuelistitem" in q["sql"] for q in ctx.captured_queries)


@pytest.fixture
def merchant():
    return MerchantFactory(name="Lists")


@pytest.fixture
def blocked(merchant):
    vl = value_list_create(merchant=merchant, livemode=False, actor=ACTOR, alias="blocked", name="b",
                           item_type="email")  # fmt: skip
    value_list_item_create(value_list=vl, actor=ACTOR, value="fraud@example.com")
    return vl


def test_a_cached_check_reads_no_list_and_answers_as_the_query(merchant, blocked):
    assert _members(merchant, "fraud@example.com") == {("blocked", "fraud@example.com")}
    with CaptureQueriesContext(connection) as ctx:
        assert _members(merchant, "fraud@example.com") == {("blocked", "fraud@example.com")}
        assert _members(merchant, "fine@example.com") == frozenset()
    assert _list_queries(ctx) == 0


def test_service_changes_are_seen_by_the_next_check(merchant, blocked):
    assert _members(merchant, "new@example.com") == frozenset()  # cached now
    item = value_list_item_create(value_list=blocked, actor=ACTOR, value="new@example.com")
    assert _members(merchant, "new@example.com") == {("blocked", "new@example.com")}
    value_list_item_delete(item=item, actor=ACTOR)
    assert _members(merchant, "new@example.com") == frozenset()
    value_list_update(value_list=blocked, actor=ACTOR, changes={"alias": "renamed"})
    assert _members(merchant, "fraud@example.com") == frozenset()  # the rules name @blocked
    value_list_update(value_list=blocked, actor=ACTOR, changes={"alias": "blocked"})
    assert _members(merchant, "fraud@example.com") == {("blocked", "fraud@example.com")}
    value_list_delete(value_list=blocked, actor=ACTOR)  # its items go by cascade
    assert _members(merchant, "fraud@example.com") == frozenset()


def test_direct_and_bulk_writes_are_seen_by_the_next_check(merchant, blocked):
    """The admin saves rows directly; bulk writes bypass the signals: the manager invalidates."""
    assert _members(merchant, "a@example.com") == frozenset()
    item = ValueListItem.objects.create(
        merchant=merchant, livemode=False, value_list=blocked, value="a@example.com"
    )
    assert _members(merchant, "a@example.com") == {("blocked", "a@example.com")}
    ValueListItem.objects.filter(pk=item.pk).update(value="b@example.com")
    assert _members(merchant, "a@example.com") == frozenset()
    assert _members(merchant, "b@example.com") == {("blocked", "b@example.com")}
    ValueListItem.objects.filter(pk=item.pk).delete()
    assert _members(merchant, "b@example.com") == frozenset()
    ValueListItem.objects.bulk_create(
        [ValueListItem(merchant=merchant, livemode=False, value_list=blocked, value="c@example.com")]
    )
    assert _members(merchant, "c@example.com") == {("blocked", "c@example.com")}
    ValueList.objects.filter(pk=blocked.pk).update(alias="other")
    assert _members(merchant, "c@example.com") == frozenset()


def test_tenants_do_not_share_entries(merchant, blocked):
    other = MerchantFactory(name="Other lists")
    assert _members(merchant, "fraud@example.com") == {("blocked", "fraud@example.com")}
    assert _members(other, "fraud@example.com") == frozenset()
    assert members_for(merchant.pk, True, RULES, {"email": "fraud@example.com"}) == frozenset()  # live mode


def test_lists_too_large_to_cache_are_queried_per_payment(merchant, blocked, monkeypatch):
    monkeypatch.setattr(risk_cache, "MAX_CACHED_ITEMS", 0)
    assert _members(merchant, "fraud@example.com") == {("blocked", "fraud@example.com")}
    with CaptureQueriesContext(connection) as ctx:
        assert _members(merchant, "fraud@example.com") == {("blocked", "fraud@example.com")}
    assert _list_queries(ctx) == 1
