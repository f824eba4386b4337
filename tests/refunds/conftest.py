import pytest

from tests.intents.helpers import make_card


@pytest.fixture
def card(merchant):
    def build(number="4242424242424242", **kw):
        return make_card(merchant, number, **kw)

    return build
