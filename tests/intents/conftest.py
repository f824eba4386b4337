import pytest

from tests.intents.helpers import make_card, make_customer  # noqa: F401


@pytest.fixture
def card(merchant):
    """make a tokenized card for `merchant`: card("4000000000000002")."""

    def build(number="4242424242424242", **kw):
        return make_card(merchant, number, **kw)

    return build


@pytest.fixture
def publishable(client_for, merchant):
    return client_for(merchant, kind="publishable")
