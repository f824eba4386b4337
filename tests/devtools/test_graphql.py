"""/graphql: read-only, tenant-isolated by the API key, scopes of restricted keys, limits (first,
depth, cost), a constant number of SQL queries per page, no mutations, the checked-in schema."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.devtools.management.commands.graphql_schema import SCHEMA_FILE
from tests.intents.helpers import make_card, make_customer, pay

pytestmark = pytest.mark.django_db

INTENTS = """query($first: Int, $after: String) {
  paymentIntents(first: $first, after: $after) {
    edges { cursor node { id amount currency status refunds { id amount } disputes { id }
                          latestCharge { id last4 } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def gql(client, query, **variables):
    return client.post("/graphql", {"query": query, "variables": variables}, format="json")


def test_intents_are_paged_with_opaque_cursors_and_nested_refunds(api, merchant):
    pm = make_card(merchant)
    ids = [pay(api, pm, amount=1000 + n).json()["id"] for n in range(3)]
    api.post("/v1/refunds", {"payment_intent": ids[0], "amount": 300}, format="json")
    first = gql(api, INTENTS, first=2).json()
    assert "errors" not in first, first
    page = first["data"]["paymentIntents"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[::-1][:2]
    assert page["pageInfo"]["hasNextPage"] is True
    assert ids[1] not in page["pageInfo"]["endCursor"]  # opaque, not the id itself
    rest = gql(api, INTENTS, first=2, after=page["pageInfo"]["endCursor"]).json()["data"]["paymentIntents"]
    [last] = rest["edges"]
    assert last["node"]["id"] == ids[0] and rest["pageInfo"]["hasNextPage"] is False
    assert last["node"]["refunds"] == [{"id": last["node"]["refunds"][0]["id"], "amount": 300}]
    assert last["node"]["latestCharge"]["last4"] == "4242"


def test_filters_by_status_amount_and_order_id(api, merchant):
    pm = make_card(merchant)
    pay(api, pm, amount=500)
    big = pay(api, pm, amount=9000, metadata={"order_id": "ord-77"}).json()["id"]
    api.post("/v1/payment_intents", {"amount": 700, "currency": "usd"}, format="json")
    body = gql(
        api, '{ paymentIntents(where: {status: "succeeded", amountGte: 1000}) { edges { node { id } } } }'
    ).json()
    assert [e["node"]["id"] for e in body["data"]["paymentIntents"]["edges"]] == [big]
    body = gql(api, '{ paymentIntents(metadataOrderId: "ord-77") { edges { node { id metadata } } } }').json()
    assert body["data"]["paymentIntents"]["edges"][0]["node"]["metadata"] == {"order_id": "ord-77"}


def test_another_merchant_and_the_other_mode_see_nothing(api, api_other, client_for, merchant):
    intent = pay(api, make_card(merchant)).json()["id"]
    for client in (api_other, client_for(merchant, livemode=True)):
        body = gql(client, INTENTS).json()
        assert body["data"]["paymentIntents"]["edges"] == []
        one = gql(client, f'{{ paymentIntent(id: "{intent}") {{ id }} }}').json()
        assert one["data"]["paymentIntent"] is None


def test_keys_publishable_refused_restricted_see_only_their_scopes(client_for, merchant, api):
    pay(api, make_card(merchant))
    assert gql(client_for(merchant, kind="publishable"), INTENTS).status_code in (401, 403)
    assert (
        APIClient().post("/graphql", {"query": "{ events { edges { cursor } } }"}, format="json").status_code
        == 401
    )
    restricted = client_for(merchant, kind="restricted", scopes=["payment_intents:read"])
    body = gql(restricted, "{ paymentIntents { edges { node { id } } } }").json()
    assert len(body["data"]["paymentIntents"]["edges"]) == 1
    body = gql(restricted, INTENTS).json()  # nested refunds need refunds:read
    assert body["errors"][0]["extensions"]["code"] == "insufficient_scope"
    body = gql(restricted, "{ customers { edges { node { id } } } }").json()
    assert body["data"] is None and body["errors"][0]["extensions"]["scope"] == "customers:read"


def test_customers_show_no_card_data_beyond_brand_and_last4(api, merchant):
    customer = make_customer(merchant)
    make_card(merchant, customer=customer)
    body = gql(
        api, "{ customers { edges { node { email paymentMethods { type card { brand last4 } } } } } }"
    ).json()
    node = body["data"]["customers"]["edges"][0]["node"]
    assert node["paymentMethods"] == [{"type": "card", "card": {"brand": "visa", "last4": "4242"}}]
    fields = gql(api, '{ __type(name: "CardSummary") { fields { name } } }').json()
    assert {f["name"] for f in fields["data"]["__type"]["fields"]} == {"brand", "last4"}


def test_limits_on_first_depth_and_cost(api):
    too_many = gql(api, INTENTS, first=101).json()
    assert too_many["errors"][0]["extensions"]["code"] == "parameter_invalid"
    deep = "{ customers { edges { node { paymentMethods { card { brand } } } } } }"
    assert "errors" not in gql(api, deep).json()
    fragment = "fragment F on PaymentIntentNode { id } " + "{ a: paymentIntents { edges { node { ...F } } } }"
    assert "errors" not in gql(api, fragment).json()
    too_deep = "{ paymentIntents { edges { node { customer { paymentMethods { card { brand } } } } } } }"
    resp = gql(api, too_deep)
    assert (
        resp.status_code == 400 and "exceeds maximum operation depth" in resp.json()["errors"][0]["message"]
    )
    costly = (
        "{ "
        + " ".join(
            f"p{n}: paymentIntents(first: 100) {{ edges {{ node {{ id amount }} }} }}" for n in range(20)
        )
        + " }"
    )
    resp = gql(api, costly)
    assert resp.status_code == 400
    error = resp.json()["errors"][0]
    assert error["extensions"]["code"] == "query_cost_exceeded" and error["extensions"]["cost"] > 5000
    assert str(error["extensions"]["cost"]) in error["message"]


def test_no_mutations(api):
    resp = gql(api, "mutation { paymentIntents { edges { cursor } } }")
    assert (
        resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"] == "operation_not_allowed"
    )
    assert (
        gql(api, "{ __schema { mutationType { name } } }").json()["data"]["__schema"]["mutationType"] is None
    )


def test_a_page_of_50_intents_with_nested_lists_runs_a_constant_number_of_queries(api, merchant):
    pm = make_card(merchant)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body = gql(api, INTENTS, first=50).json()
        assert "errors" not in body, body
        return len(captured)

    ids = [pay(api, pm, amount=1000 + n).json()["id"] for n in range(5)]
    small = queries()
    ids += [pay(api, pm, amount=2000 + n).json()["id"] for n in range(45)]
    for intent in ids[:10]:
        api.post("/v1/refunds", {"payment_intent": intent, "amount": 100}, format="json")
    assert queries() == small <= 8


def test_graphiql_only_with_debug(client, settings):
    assert client.get("/graphql").status_code == 404
    settings.DEBUG = True
    page = client.get("/graphql")
    assert page.status_code == 200 and b"graphiql" in page.content.lower()
    settings.CLEARHOUSE_ENV = "production"
    assert client.get("/graphql").status_code == 404


def test_the_checked_in_schema_is_current():
    from apps.devtools.graphql.schema import schema

    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", "run: python manage.py graphql_schema --write"
