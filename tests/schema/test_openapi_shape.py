"""The OpenAPI schema describes what the API answers (so that schema-based fuzzing is honest):
list endpoints document the list envelope, a deleted customer's shape is documented, and every
authenticated operation lists the error statuses any merchant endpoint can answer."""

import pytest
from drf_spectacular.generators import SchemaGenerator

LIST_OPERATIONS = [
    "/v1/api_keys",
    "/v1/balance_transactions",
    "/v1/bank_accounts",
    "/v1/charges",
    "/v1/customers",
    "/v1/customers/{customer_id}/payment_methods",
    "/v1/disputes",
    "/v1/events",
    "/v1/payment_intents",
    "/v1/payment_intents/{intent_id}/charges",
    "/v1/payment_methods",
    "/v1/payouts",
    "/v1/refunds",
    "/v1/test/cards",
    "/v1/webhook_endpoints",
]
COMMON_ERRORS = {"400", "401", "403", "404", "413", "429"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _ok_body(schema, path, method="get"):
    return _resolve(
        schema, schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    )


@pytest.mark.parametrize("path", LIST_OPERATIONS)
def test_list_endpoints_document_the_list_envelope(schema, path):
    body = _ok_body(schema, path)
    assert body["type"] == "object"
    assert {"object", "url", "has_more", "data"} <= set(body["required"])
    assert _resolve(schema, body["properties"]["object"])["enum"] == ["list"]
    assert body["properties"]["data"]["type"] == "array"
    assert body["properties"]["has_more"]["type"] == "boolean"


def test_every_get_answering_a_list_is_documented_as_one(schema):
    """Any GET whose 200 is documented as an array (not an envelope) is a drift."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body is not None:
                assert _resolve(schema, body).get("type") != "array", (method, path)


def test_deleted_customer_shape_is_documented(schema):
    retrieve = _ok_body(schema, "/v1/customers/{customer_id}")
    shapes = [_resolve(schema, one) for one in retrieve["oneOf"]]
    deleted = next(s for s in shapes if "deleted" in s["properties"])
    assert set(deleted["required"]) == {"id", "object", "deleted"}
    assert _resolve(schema, deleted["properties"]["deleted"])["enum"] == [True]
    assert _resolve(schema, deleted["properties"]["object"])["enum"] == ["customer"]
    assert _ok_body(schema, "/v1/customers/{customer_id}", "delete") == deleted


def test_every_authenticated_operation_lists_its_error_responses(schema):
    missing = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue  # the provider callbacks: no API key, their own errors
            expected = COMMON_ERRORS | ({"409"} if method == "post" else set())
            gaps = expected - set(operation["responses"])
            if gaps:
                missing[f"{method.upper()} {path}"] = sorted(gaps)
            for status in expected:
                error = operation["responses"][status]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert missing == {}


def test_idempotency_conflict_named_on_posts_that_had_their_own_409(schema):
    refund_create = schema["paths"]["/v1/refunds"]["post"]["responses"]["409"]["description"]
    assert "idempotency_key_in_use" in refund_create


def test_authenticated_posts_document_the_idempotency_key_header(schema):
    for path, operations in schema["paths"].items():
        operation = operations.get("post")
        if operation and operation.get("security"):
            headers = [p for p in operation["parameters"] if p["in"] == "header"]
            assert [h["name"] for h in headers] == ["Idempotency-Key"], path
            assert headers[0]["schema"]["maxLength"] == 255
