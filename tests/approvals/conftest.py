import pytest

from apps.merchants.models import MerchantSettings
from tests.intents.helpers import make_card, pay


@pytest.fixture
def threshold(merchant):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=1000)
    merchant.refresh_from_db()
    return 1000


@pytest.fixture
def paid(api, merchant):
    def build(amount=5000, **body):
        return pay(api, make_card(merchant), amount=amount, **body).json()

    return build
