"""Rule sets and the dry run over the API: versions, explicit activation, validation naming the
parameter, evaluate with a saved payment method or card fields, tenant isolation."""

import pytest

from apps.audit.models import AuditEntry
from apps.intents.models import Charge
from tests.intents.helpers import pay
from tests.routing.factories import sandbox


@pytest.fixture
def accounts(merchant):
    return sandbox(merchant, "a"), sandbox(merchant, "b", capabilities={"currencies": ["EUR"]})


def _create(api, a, b, **extra):
    body = {
        "name": "Main",
        "rules": [
            {"name": "eur", "conditions": {"currency": ["EUR"]}, "connectors": [b.public_id, a.public_id]}
        ],
        "default_fallback": [a.public_id],
        **extra,
    }
    return api.post("/v1/routing/rule_sets", body, format="json")


def test_versions_and_explicit_activation(api, accounts):
    a, b = accounts
    resp = _create(api, a, b)
    assert resp.status_code == 200, resp.content
    rs = resp.json()
    assert rs["id"].startswith("rr_") and rs["version"] == 1 and rs["active_version"] is None
    edited = api.post(f"/v1/routing/rule_sets/{rs['id']}", {"rules": []}, format="json").json()
    assert (
        edited["latest_version"] == 2
        and edited["rules"] == []
        and edited["default_fallback"] == [a.public_id]
    )
    old = api.get(f"/v1/routing/rule_sets/{rs['id']}?version=1").json()
    assert old["rules"][0]["name"] == "eur"
    active = api.post(f"/v1/routing/rule_sets/{rs['id']}/activate", {"version": 1}, format="json").json()
    assert active["active_version"] == 1 and active["version"] == 1
    assert AuditEntry.objects.filter(object_id=rs["id"], action="routing.rule_set.activate").exists()
    # a payment in EUR now follows version 1
    decision = api.post("/v1/routing/evaluate", {"amount": 1000, "currency": "eur"}, format="json").json()
    assert decision["matched_rule"] == "eur" and decision["connector"] == b.public_id
    assert decision["rule_set"] == rs["id"] and decision["rule_set_version"] == 1
    # activating version 2 changes the decision; a second rule set's activation deactivates the first
    api.post(f"/v1/routing/rule_sets/{rs['id']}/activate", {"version": 2}, format="json")
    decision = api.post("/v1/routing/evaluate", {"amount": 1000, "currency": "eur"}, format="json").json()
    assert decision["matched_by"] == "fallback" and decision["connector"] == a.public_id
    other = _create(api, a, b, activate=True).json()
    assert api.get(f"/v1/routing/rule_sets/{rs['id']}").json()["active_version"] is None
    assert other["active_version"] == 1
    listed = api.get("/v1/routing/rule_sets").json()["data"]
    assert {r["id"] for r in listed} == {rs["id"], other["id"]}
    assert (
        api.post(f"/v1/routing/rule_sets/{rs['id']}/activate", {"version": 9}, format="json").status_code
        == 400
    )


@pytest.mark.parametrize(
    "rules,param",
    [
        ([{"name": "x", "connectors": ["con_nope"]}], "rules[0][connectors][0]"),
        (
            [{"name": "x", "conditions": {"colour": ["red"]}, "connectors": []}],
            "rules[0][conditions][colour]",
        ),
        (
            [{"name": "x", "conditions": {"currency": ["XXZ"]}, "connectors": []}],
            "rules[0][conditions][currency][0]",
        ),
        ([{"name": "x", "split": [{"connector": "con_nope", "weight": 1}]}], "rules[0][split][0][connector]"),
        ([{"connectors": []}], "rules[0][name]"),
        ("nope", "rules"),
    ],
)
def test_invalid_rules_name_the_parameter(api, accounts, rules, param):
    resp = api.post("/v1/routing/rule_sets", {"name": "Bad", "rules": rules}, format="json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["param"] == param


def test_evaluate_explains_exclusions_and_uses_a_saved_card(api, accounts, card):
    a, b = accounts
    _create(api, a, b, activate=True)
    pm = card("5555555555554444")
    decision = api.post(
        "/v1/routing/evaluate",
        {"amount": 1000, "currency": "usd", "payment_method": pm.public_id},
        format="json",
    ).json()
    reasons = {c["connector"]: c["reason"] for c in decision["candidates"]}
    assert reasons[b.public_id] == "currency_not_supported" and reasons[a.public_id] is None
    assert decision["connector"] == a.public_id
    # nothing was executed
    assert not Charge.objects.filter(merchant=a.merchant).exists()
    by_card = api.post(
        "/v1/routing/evaluate",
        {
            "amount": 1000,
            "currency": "eur",
            "card": {"brand": "visa", "country": "DE"},
            "routing": {"connector": a.public_id},
        },
        format="json",
    ).json()
    assert by_card["matched_by"] == "pinned" and by_card["connector"] == a.public_id
    missing = api.post(
        "/v1/routing/evaluate",
        {"amount": 1000, "currency": "usd", "payment_method": "pm_nope"},
        format="json",
    )
    assert missing.status_code in (400, 404)
    assert (
        api.post("/v1/routing/evaluate", {"currency": "usd"}, format="json").json()["error"]["param"]
        == "amount"
    )


def test_evaluate_a_draft_version_before_activating_it(api, accounts):
    a, b = accounts
    rs = _create(api, a, b).json()
    decision = api.post(
        "/v1/routing/evaluate",
        {"amount": 1000, "currency": "eur", "rule_set": rs["id"], "version": 1},
        format="json",
    ).json()
    assert decision["matched_rule"] == "eur"
    active = api.post("/v1/routing/evaluate", {"amount": 1000, "currency": "eur"}, format="json").json()
    assert active["rule_set"] is None and active["matched_by"] == "fallback"


def test_the_routing_field_is_on_every_charge(api, accounts, card):
    a, b = accounts
    _create(api, a, b, activate=True)
    body = pay(api, card(), currency="eur").json()
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    assert charge["routing"]["connector"] == b.public_id == charge["connector"]
    assert charge["routing"]["matched_rule"] == "eur"
    assert {c["connector"] for c in charge["routing"]["candidates"]} == {a.public_id, b.public_id}


@pytest.mark.parametrize(
    "method,path",
    [("get", ""), ("post", ""), ("post", "/activate"), ("post", "/deactivate")],
)
def test_another_merchants_rule_set_answers_404(api, api_other, accounts, method, path):
    a, b = accounts
    rs = _create(api, a, b).json()
    resp = getattr(api_other, method)(f"/v1/routing/rule_sets/{rs['id']}{path}", {}, format="json")
    assert resp.status_code == 404
    assert api_other.get("/v1/routing/rule_sets").json()["data"] == []
    resp = api_other.post(
        "/v1/routing/evaluate", {"amount": 100, "currency": "usd", "rule_set": rs["id"]}, format="json"
    )
    assert resp.status_code == 404


def test_a_rule_set_cannot_name_another_merchants_connector(api, api_other, accounts):
    a, _ = accounts
    resp = api_other.post(
        "/v1/routing/rule_sets",
        {"name": "x", "rules": [{"name": "x", "connectors": [a.public_id]}]},
        format="json",
    )
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "rules[0][connectors][0]"


def test_a_payment_intent_may_pin_a_connector_still_checked_for_eligibility(
    api, accounts, card, client_for, merchant
):
    a, b = accounts
    _create(api, a, b, activate=True)
    pinned = pay(api, card(), routing={"connector": b.public_id}, currency="eur").json()
    charge = api.get(f"/v1/charges/{pinned['latest_charge']}").json()
    assert charge["connector"] == b.public_id and charge["routing"]["matched_by"] == "pinned"
    refused = pay(api, card(), routing={"connector": b.public_id}, currency="usd")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "routing_connector_ineligible"
    assert refused.json()["error"]["param"] == "routing[connector]"
    intent = api.post("/v1/payment_intents", {"amount": 900, "currency": "usd", "payment_method": card().public_id},
                      format="json").json()  # fmt: skip
    confirmed = api.post(f"/v1/payment_intents/{intent['id']}/confirm", {"routing": {"connector": a.public_id}},
                         format="json").json()  # fmt: skip
    assert api.get(f"/v1/charges/{confirmed['latest_charge']}").json()["routing"]["matched_by"] == "pinned"
    publishable = client_for(merchant, kind="publishable")
    other = api.post("/v1/payment_intents", {"amount": 900, "currency": "usd", "payment_method": card().public_id},
                     format="json").json()  # fmt: skip
    resp = publishable.post(f"/v1/payment_intents/{other['id']}/confirm",
                            {"client_secret": other["client_secret"], "routing": {"connector": a.public_id}},
                            format="json")  # fmt: skip
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "routing"
