import pytest

from tests.intents.helpers import make_card

# No cache.clear() here: the cache is one Redis database shared by the xdist workers, and a flush
# would wipe the other worker's circuit states mid-test. Each test's circuits and call logs are
# keyed by its own connectors' public ids, and cached rule-set versions by database and pk
# (apps.core.cachekeys), so a test never meets another's entries.


@pytest.fixture
def card(merchant):
    def build(number="4242424242424242", **kw):
        return make_card(merchant, number, **kw)

    return build
