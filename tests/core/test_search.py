"""Stripe's search query language (apps/core/search.py) over customers, through the API."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(api):
    def make(**fields):
        return api.post("/v1/customers", fields, format="json").json()["id"]

    return {
        "ada": make(email="ada@example.com", name="Ada Lovelace", metadata={"tier": "gold", "a__b": "x"}),
        "bob": make(email="bob@example.com", name="Bob", metadata={"tier": "silver"}),
        "cy": make(email="cy@example.com", name="Cy Lovelace"),
    }


def _ids(api, query):
    resp = api.get("/v1/customers/search", {"query": query})
    assert resp.status_code == 200, resp.json()
    return set(c["id"] for c in resp.json()["data"])


def test_clauses_and_or_negation_substring_and_metadata(api, people):
    assert _ids(api, "email:'ADA@example.com'") == {people["ada"]}
    assert _ids(api, "name~'lovelace'") == {people["ada"], people["cy"]}
    assert _ids(api, "name~'lovelace' AND -metadata['tier']:'gold'") == {people["cy"]}
    assert _ids(api, "metadata['tier']:'gold' OR metadata['tier']:'silver'") == {people["ada"], people["bob"]}
    assert _ids(api, "metadata['a__b']:'x'") == {people["ada"]}
    assert _ids(api, "metadata['tier']:null") == {people["cy"]}
    assert _ids(api, "created>0") == set(people.values())


def test_search_pages_with_next_page(api, people):
    first = api.get("/v1/customers/search", {"query": "created>0", "limit": 2}).json()
    assert first["has_more"] is True and first["next_page"]
    second = api.get(
        "/v1/customers/search", {"query": "created>0", "limit": 2, "page": first["next_page"]}
    ).json()
    assert second["has_more"] is False and second["next_page"] is None
    assert {c["id"] for c in first["data"] + second["data"]} == set(people.values())


@pytest.mark.parametrize(
    "query",
    [
        "",
        "email",
        "email:",
        "email:'a' AND",
        "email:'a' AND name:'b' OR name:'c'",
        "balance>3",
        "name>3",
        "name~'ab'",
        "created:'soon'",
        "metadata:'x'",
        "email:'a' email:'b'",
        "metadata['k']~'abc'",
    ],
)
def test_bad_queries_are_400_naming_query(api, query):
    resp = api.get("/v1/customers/search", {"query": query})
    assert resp.status_code == 400, resp.json()
    assert resp.json()["error"]["param"] == "query"
