"""One Redis round trip for a request's reads (apps/core/hotcache.py ``prefetch``): the second
request of a kind finds what the first read through the hot cache (API key, fee schedule,
routing and risk contexts, circuits) and its rate-limit count in the prefetch; a prefetched value
is served once, an invalidation or a write drops it, and a failed authentication is not
counted against the key's limit."""

import time
import uuid

import pytest
import time_machine
from django.core.cache import caches
from rest_framework.test import APIClient

from apps.core import hotcache
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db(transaction=True)  # entries are stored outside transactions


@pytest.fixture(autouse=True)
def _closed_prefetch():
    hotcache.request_end()
    yield
    hotcache.request_end()


@pytest.fixture
def redis_calls(monkeypatch):
    """Names of the cache's own calls (get_many, incr, add, ...), counted while ``on``."""
    backend = caches["default"]

    class Calls(list):
        state = {"on": False}

    calls = Calls()
    state = calls.state
    for name in ("get", "get_many", "incr", "add"):
        original = getattr(backend, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            if state["on"]:
                calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(backend, name, counted)
    return calls


def test_a_second_confirm_reads_everything_in_its_prefetch(api, merchant, redis_calls):
    assert hotcache.enabled()
    pm = make_card(merchant)
    assert pay(api, pm, amount=1000).status_code == 200  # learns what a confirm reads
    redis_calls.state["on"] = True
    response = pay(api, pm, amount=1000)
    redis_calls.state["on"] = False
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    # key, fees, routing context, circuits: from the prefetch; the rate limit counted in it too
    assert redis_calls == []


def test_a_prefetched_value_is_served_once_and_an_invalidation_drops_it():
    scope, key = f"prefetch-{uuid.uuid4().hex}", "entry"
    kind = ("test", scope)
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    hotcache.prefetch(kind)
    assert hotcache.read_through(scope, key, load)[0] == 1  # loaded, stored, learnt
    hotcache.request_end()

    hotcache.prefetch(kind)
    assert hotcache.read_through(scope, key, load)[0] == 1 and loads == [1]
    assert hotcache.read_through(scope, key, load)[0] == 1 and loads == [1]  # again: from Redis
    hotcache.request_end()

    hotcache.prefetch(kind)
    hotcache.invalidate([scope])  # a write in the request: the prefetched entry is not trusted
    assert hotcache.read_through(scope, key, load)[0] == 2 and loads == [1, 1]
    hotcache.request_end()

    hotcache.prefetch(kind)
    caches["default"].delete_many([hotcache._version_key(scope)])  # another process's change...
    hotcache.request_end()  # ...after this request: the next one reads afresh
    assert hotcache.read_through(scope, key, load)[0] == 3


@pytest.fixture
def tight_limit(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"merchant": "3/min"}}


def test_a_failed_authentication_is_not_counted_against_the_key(api, tight_limit):
    raw = api.api_key_plaintext
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION=f"Bearer {raw[:-4]}{'0000' if raw[-4:] != '0000' else '1111'}")
    start = (int(time.time()) // 60 + 1) * 60 + 20  # mid-window (see test_rate_limit)
    with time_machine.travel(start, tick=False):
        statuses = [api.get("/v1/settings").status_code]  # the key's public id is now known
        statuses += [forged.get("/v1/settings").status_code for _ in range(4)]  # same lookup
        statuses += [api.get("/v1/settings").status_code for _ in range(3)]
    assert statuses == [200, 401, 401, 401, 401, 200, 200, 429]
