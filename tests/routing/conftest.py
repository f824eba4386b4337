import pytest
from django.core.cache import cache

from tests.intents.helpers import make_card


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Circuit states, call logs and cached rule-set versions live in the cache (this run's own
    Redis database): each test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def card(merchant):
    def build(number="4242424242424242", **kw):
        return make_card(merchant, number, **kw)

    return build
