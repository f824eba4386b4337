import pytest
from django.db.models import Sum

from apps.intents.models import Charge
from apps.refunds.models import Refund
from tests.intents.helpers import make_card, pay
from tests.intents.test_races import _post, run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_30_concurrent_partial_refunds_never_exceed_the_capture(api, merchant):
    body = pay(api, make_card(merchant), amount=10_000).json()
    results = run_concurrently(
        [_post(api, "/v1/refunds", {"payment_intent": body["id"], "amount": 500}) for _ in range(30)]
    )
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] != 200]
    assert len(ok) == 20, results
    assert all(r[1]["status"] == "succeeded" for r in ok)
    for status_code, error in refused:
        assert status_code == 400
        assert error["error"]["code"] in ("amount_too_large", "charge_already_refunded")
    charge = Charge.objects.get(public_id=body["latest_charge"])
    total = (
        Refund.objects.filter(charge=charge)
        .exclude(status__in=["failed", "canceled"])
        .aggregate(t=Sum("amount"))
    )
    assert total["t"] == 10_000 <= charge.amount_captured
    assert charge.amount_refunded == 10_000
