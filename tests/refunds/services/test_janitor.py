"""The refund re-check janitor (refunds_recheck)."""

from datetime import timedelta

from apps.intents.models import PaymentIntent
from apps.refunds import services
from apps.refunds.models import Refund
from tests.intents.helpers import pay
from tests.refunds.test_api import refund


def test_refund_provider_outage_is_retried_by_the_janitor(api, card):
    body = pay(api, card(), metadata={"sandbox_fault": "refund:http_503"}).json()
    data = refund(api, payment_intent=body["id"]).json()
    assert data["status"] == "pending"
    PaymentIntent.objects.filter(public_id=body["id"]).update(metadata={})
    assert services.refunds_recheck(older_than=timedelta(0)) == 1
    assert Refund.objects.get(public_id=data["id"]).status == "succeeded"
