"""The vault endpoints are in the OpenAPI schema, and generating it raises no warnings from our views."""

import pytest
from drf_spectacular.generators import SchemaGenerator

VAULT_PATHS = {
    "/v1/customers": {"get", "post"},
    "/v1/customers/search": {"get"},
    "/v1/customers/{customer_id}": {"get", "post", "delete"},
    "/v1/customers/{customer_id}/payment_methods": {"get"},
    "/v1/payment_methods": {"get", "post"},
    "/v1/payment_methods/{payment_method_id}": {"get", "post", "delete"},
    "/v1/payment_methods/{payment_method_id}/attach": {"post"},
    "/v1/payment_methods/{payment_method_id}/detach": {"post"},
    "/v1/payment_methods/{payment_method_id}/verify": {"post"},
    "/v1/tokens": {"post"},
    "/v1/tokens/{token_id}": {"get"},
}


def test_vault_endpoints_in_schema_without_warnings(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    captured = capsys.readouterr()
    names = (
        "apps/vault",
        "apps.vault",
        "Customer",
        "PaymentMethod",
        "Token",
        "Microdeposit",
        "Verification",
        "Consent",
    )
    vault_lines = [
        line for line in (captured.err + captured.out).splitlines() if any(n in line for n in names)
    ]
    assert vault_lines == []
    for path, methods in VAULT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    create = schema["paths"]["/v1/payment_methods"]["post"]
    assert {"200", "400", "402", "404"} <= set(create["responses"])
    assert "PaymentMethodCreateInput" in str(create["requestBody"])


@pytest.mark.django_db
def test_schema_endpoint_serves(client):
    response = client.get("/v1/schema")
    assert response.status_code == 200
    assert b"/v1/payment_methods" in response.content
