"""What the developer platform logs never holds a secret: the API key, the card number (captured
at DEBUG from every logger, then scanned)."""

import logging

import pytest

from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def test_simulations_bulk_jobs_and_graphql_log_no_key_and_no_card_number(
    api, merchant, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    pm = make_card(merchant, "4000000000005126")
    intent = pay(api, pm, amount=5000).json()
    refund = api.post("/v1/refunds", {"payment_intent": intent["id"]}, format="json").json()
    api.post("/v1/test_helpers/simulate", {"type": "refund.failed", "object": refund["id"]}, format="json")
    api.post(
        "/v1/test_helpers/simulate", {"type": "charge.dispute.created", "object": intent["id"]}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/v1/payment_intents/bulk",
            [
                {"amount": 100, "currency": "usd", "payment_method": pm.public_id, "confirm": True},
                {"amount": "x"},
            ],
            format="json",
        )
    api.post(
        "/graphql",
        {"query": "{ paymentIntents { edges { node { id latestCharge { last4 } } } } }"},
        format="json",
    )
    api.post("/graphql", {"query": "{ broken"}, format="json")
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert len(caplog.records) > 0
    assert api.api_key_plaintext not in text
    assert api.api_key_plaintext.split("_")[-1] not in text  # not even the secret part alone
    assert "4000000000005126" not in text and "4000 0000 0000 5126" not in text
