import pytest

from tests.webhooks.helpers import receiver_server


@pytest.fixture
def receiver():
    with receiver_server() as r:
        yield r
