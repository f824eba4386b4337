import pytest

from tests.intents.helpers import make_card, pay


@pytest.fixture
def card(merchant):
    def build(number="4242424242424242", **kw):
        return make_card(merchant, number, **kw)

    return build


@pytest.fixture
def paid(api, card):
    def build(number="4242424242424242", amount=5000):
        return pay(api, card(number), amount=amount).json()

    return build
