"""Disputes through the official stripe-python SDK: a payment with Stripe's `pm_card_createDispute`
is disputed by the sandbox acquirer; the SDK lists and retrieves it, stages evidence, submits it
once with `winning_evidence` and sees it won; a second submission is an InvalidRequestError."""

import pytest
import stripe

from apps.connectors.sandbox import SandboxAdapter
from apps.intents.models import Charge
from tests.disputes.conftest import connector_of
from tests.webhooks.test_api_inbound import post_callback

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver(merchant, charge) -> None:
    for raw, headers in SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference):
        post_callback(connector_of(merchant).public_id, raw, headers)


def test_a_disputed_payment_is_answered_and_won_through_the_sdk(sdk, compat_merchant):
    intent = sdk.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method": "pm_card_createDispute", "confirm": True}
    )
    assert intent.status == "succeeded"
    _deliver(compat_merchant, Charge.objects.get(public_id=intent.latest_charge))

    [dispute] = sdk.v1.disputes.list(params={"payment_intent": intent.id}).data
    assert isinstance(dispute, stripe.Dispute)
    assert (dispute.status, dispute.reason, dispute.amount) == ("needs_response", "fraudulent", 2000)
    staged = sdk.v1.disputes.update(
        dispute.id,
        params={"evidence": {"customer_name": "Ann Shopper"}, "submit": False, "metadata": {"case": "7"}},
    )
    assert staged.status == "needs_response" and staged.evidence.customer_name == "Ann Shopper"
    submitted = sdk.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert submitted.status == "under_review" and submitted.evidence_details.submission_count == 1
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.disputes.update(dispute.id, params={"evidence": {"uncategorized_text": "more"}})
    _deliver(compat_merchant, Charge.objects.get(public_id=intent.latest_charge))
    assert sdk.v1.disputes.retrieve(dispute.id).status == "won"
