import pytest
from django.conf import settings as django_settings

from apps.audit.services import Actor
from apps.risk.services import rule_set_version_create
from apps.risk.services.value_lists import value_list_create, value_list_item_create

ACTOR = Actor.system("tests")


def _flush_risk_keys() -> None:
    if not django_settings.CACHES["default"]["BACKEND"].startswith("django_redis"):
        from django.core.cache import cache

        cache.clear()
        return
    from django_redis import get_redis_connection

    from apps.risk.store import PREFIX, namespace

    conn = get_redis_connection("default")
    # Only this test database's keys: the other xdist worker's tests keep theirs.
    keys = list(conn.scan_iter(f"*{PREFIX}:{namespace()}:*", count=1000))
    if keys:
        conn.delete(*keys)


@pytest.fixture(autouse=True)
def _clean_risk_state():
    """The counters, guards and pointers live in Redis (this run's DB): each test starts empty."""
    from apps.risk.services import engine

    _flush_risk_keys()
    engine._COMPILED.clear()
    engine._RECENT.clear()
    yield
    _flush_risk_keys()


@pytest.fixture
def rules(merchant, django_capture_on_commit_callbacks):
    """Activate a version with these (action, predicate) rules for the merchant (test mode); the
    pointer moves on commit, as in production."""

    def activate(*pairs, livemode=False):
        with django_capture_on_commit_callbacks(execute=True):
            return rule_set_version_create(
                merchant=merchant, livemode=livemode, actor=ACTOR,
                rules=[{"action": action, "predicate": predicate} for action, predicate in pairs], activate=True,
            )  # fmt: skip

    return activate


@pytest.fixture
def value_list(merchant):
    def make(alias, *values, item_type="string", livemode=False):
        vl = value_list_create(merchant=merchant, livemode=livemode, actor=ACTOR, alias=alias, name=alias,
                               item_type=item_type)  # fmt: skip
        for value in values:
            value_list_item_create(value_list=vl, actor=ACTOR, value=value)
        return vl

    return make
