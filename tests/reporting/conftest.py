import pytest

from tests.intents.helpers import make_card, make_customer, pay


@pytest.fixture
def payments(api, merchant):
    customer = make_customer(merchant, email="ann@example.com")
    ok = pay(api, make_card(merchant, "5555555555554444"), amount=2500, metadata={"order_id": "ORD-77"},
             customer=customer.public_id).json()  # fmt: skip
    declined = pay(api, make_card(merchant, "4000000000009995"), amount=900).json()["error"]["payment_intent"]
    eur = pay(api, make_card(merchant), amount=1234, currency="eur").json()
    api.post("/v1/refunds", {"payment_intent": ok["id"], "amount": 500}, format="json")
    return {"ok": ok, "declined": declined, "eur": eur, "customer": customer}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def backdate(merchant, moment):
    """Move every object of the merchant (and the merchant itself) to `moment`."""
    from apps.disputes.models import Dispute
    from apps.intents.models import Charge, PaymentIntent
    from apps.ledger.models import BalanceTransaction
    from apps.merchants.models import Merchant
    from apps.refunds.models import Refund

    for model in (PaymentIntent, Charge, Refund, Dispute, BalanceTransaction):
        model.objects.filter(merchant=merchant).update(created_at=moment)
    Merchant.objects.filter(pk=merchant.pk).update(created_at=moment)
    merchant.refresh_from_db()
