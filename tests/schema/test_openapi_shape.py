"""The OpenAPI schema describes what the API answers (so that schema-based fuzzing is honest):
list endpoints document the list envelope, a deleted customer's shape is documented, and every
authenticated operation lists the error statuses any merchant endpoint can answer."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from apps.core.errors import CardError
from tests.core.test_error_statuses import _all_error_classes

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


# Where a card is checked or charged in the request itself: card validation (payment methods,
# tokens), the verification charge, and an authorization (create with confirm, confirm, the end of a
# 3DS challenge). Capture, cancel and refunds never answer a card error: a failed capture is
# `capture_failed` (400), a declined retry happens in the background.
CARD_ERROR_OPERATIONS = {
    "POST /v1/payment_intents",
    "POST /v1/payment_intents/{intent_id}/confirm",
    "POST /v1/payment_intents/{intent_id}/3ds/complete",
    "POST /v1/payment_methods",
    "POST /v1/payment_methods/{payment_method_id}",
    "POST /v1/payment_methods/{payment_method_id}/verify",
    "POST /v1/tokens",
}


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_402_is_listed_exactly_where_a_card_can_fail(schema):
    card_codes = {cls.code for cls in _all_error_classes() if issubclass(cls, CardError)}
    listed = {}
    for name, operation in _operations(schema):
        if "402" in operation["responses"]:
            description = operation["responses"]["402"]["description"]
            listed[name] = set(description.split("error.code: ", 1)[1].rstrip(".").split(", "))
    assert set(listed) == CARD_ERROR_OPERATIONS
    assert all(codes and codes <= card_codes for codes in listed.values()), listed


def test_409_only_where_an_idempotency_key_can_be_in_use(schema):
    """Every authenticated POST stores its Idempotency-Key (apps.core.rest.MerchantAPIView), so it
    may answer 409 while the first request holds the key; GET/DELETE/PATCH never do. The provider
    callback's 409 is its own (a duplicate delivery still being processed), and so is the gateway
    return's (the customer's browser back from a provider's page takes the same inbound path)."""
    for name, operation in _operations(schema):
        if "409" not in operation["responses"]:
            continue
        description = operation["responses"]["409"]["description"]
        if name in (
            "POST /v1/webhooks/gateway/{connector_id}",
            "GET /v1/webhooks/gateway/{connector_id}/return",
            "POST /v1/webhooks/gateway/{connector_id}/return",
        ):
            assert description.endswith("error.code: webhook_in_progress."), description
            continue
        assert name.startswith("POST ") and operation.get("security"), name
        assert "idempotency_key_in_use" in description, name
