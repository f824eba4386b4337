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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.merchants.factories import MerchantFactory, api_key_create

schema = schemathesis.openapi.from_wsgi("/v1/schema", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_key(db):
    """Its own merchant and key; in-process requests must not close the test's connection."""
    merchant = MerchantFactory(name="Schemathesis Fuzz")
    _, plaintext = api_key_create(merchant, kind="secret", livemode=False)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
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
