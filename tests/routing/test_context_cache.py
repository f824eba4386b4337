"""Routing's context of a payment (accounts, active rule set and its rules) comes from the shared
hot cache once read (apps/routing/selectors.py) and every change behind it is seen at once: a
connector saved, updated through a queryset, added or deleted, a rule set activated."""

import pytest

from apps.connectors.models import Connector
from apps.core import hotcache
from apps.routing.selectors import routing_context

from .factories import rule_set, sandbox

pytestmark = pytest.mark.django_db(transaction=True)  # entries are stored when a read commits


@pytest.fixture(autouse=True)
def _shared_cache():
    if not hotcache.enabled():
        pytest.skip("the hot cache needs a shared cache (Redis)")


def _names(merchant):
    connectors, snapshot = routing_context(merchant=merchant, livemode=False)
    return [c.name for c in connectors], (snapshot or {}).get("id")


def test_a_cached_context_costs_no_query_and_each_change_is_seen(merchant, django_assert_num_queries):
    a = sandbox(merchant, "A")
    assert _names(merchant) == (["A"], None)
    with django_assert_num_queries(0):
        assert _names(merchant) == (["A"], None)
    Connector.objects.filter(pk=a.pk).update(name="A2")  # no post_save: connectors_updated
    assert _names(merchant) == (["A2"], None)
    a.refresh_from_db()
    a.name = "A3"
    a.save()
    assert _names(merchant) == (["A3"], None)
    b = sandbox(merchant, "B")
    assert _names(merchant)[0] == ["A3", "B"]
    rules = rule_set(merchant, default_fallback=[b.public_id])
    assert _names(merchant) == (["A3", "B"], rules.public_id)
    b.delete()
    assert _names(merchant) == (["A3"], rules.public_id)


def test_the_cached_connectors_are_fresh_objects_equal_to_the_rows(merchant):
    a = sandbox(merchant, "A")
    first, _ = routing_context(merchant=merchant, livemode=False)
    first[0].name = "changed by a caller"
    again, _ = routing_context(merchant=merchant, livemode=False)
    row = Connector.objects.get(pk=a.pk)
    assert again[0] is not first[0]
    assert {f.attname: getattr(again[0], f.attname) for f in Connector._meta.concrete_fields} == {
        f.attname: getattr(row, f.attname) for f in Connector._meta.concrete_fields
    }
    assert again[0]._state.adding is False
