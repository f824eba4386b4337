"""Schema-based fuzzing of the merchant API: every operation in /v1/schema, a fixed number of
generated requests each (deterministic), answered in-process through config.wsgi's application.

No request may get a 5xx; every answer must be a documented status with a body matching the
documented schema. It runs as its own merchant, with its own secret key, inside the test's
transaction, so nothing it creates is seen by another test.

The schema is loaded at module level (schemathesis' pytest fixture loader does not work on
pytest 9.2); the first request needs no database (the schema view is public)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.intents.helpers import make_card, make_customer, pay
from tests.merchants.factories import MerchantFactory, api_key_create

schema = schemathesis.openapi.from_wsgi("/v1/schema", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _seed(merchant, plaintext):
    """Objects of its own, so lists answer items (checked against their documented shape): a
    customer with a card, a paid intent with a partial refund, and a deleted customer."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    customer = make_customer(merchant)
    card = make_card(merchant, customer=customer)
    paid = pay(api, card, customer=customer.public_id)
    assert paid.status_code == 200, paid.content
    refund = api.post("/v1/refunds", {"payment_intent": paid.json()["id"], "amount": 500}, format="json")
    assert refund.status_code == 200, refund.content
    gone = make_customer(merchant, email="gone@example.com")
    assert api.delete(f"/v1/customers/{gone.public_id}").status_code == 200
    for path in (
        "/v1/payment_intents",
        "/v1/charges",
        "/v1/refunds",
        "/v1/customers",
        "/v1/balance_transactions",
    ):
        assert api.get(path).json()["data"], path
    return gone.public_id


@pytest.fixture
def fuzz_key(db):
    """Its own merchant and key; in-process requests must not close the test's connection."""
    merchant = MerchantFactory(name="Schemathesis Fuzz")
    _, plaintext = api_key_create(merchant, kind="secret", livemode=False)
    deleted_customer = _seed(merchant, plaintext)  # Django's test client reconnects the signal
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        case = schema["/v1/customers/{customer_id}"]["GET"].Case(
            path_parameters={"customer_id": deleted_customer}
        )
        retrieved = case.call_and_validate(headers={"Authorization": f"Bearer {plaintext}"}, checks=CHECKS)
        assert retrieved.json() == {"id": deleted_customer, "object": "customer", "deleted": True}
        yield plaintext
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fuzz_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_key}"}, checks=CHECKS)
