import pytest

from tests.ledger.factories import fund
from tests.payouts.factories import ACTOR, us_bank

__all__ = ["ACTOR", "fund", "us_bank"]  # still importable from here by other apps' tests


@pytest.fixture
def funded(merchant):
    fund(merchant, 100_000)
    us_bank(merchant)
    return merchant
