"""The risk API: rules (each change a new version), value lists and items, decisions, score,
reviews; errors with positions; tenant isolation on every endpoint."""

import pytest

from apps.audit.models import AuditEntry
from apps.risk.models import Review, RiskDecision, RuleSet
from tests.intents.helpers import make_card, make_customer, pay

pytestmark = pytest.mark.django_db


def test_rules_create_list_edit_disable_each_a_new_version(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/v1/risk/rules", {"action": "block", "predicate": ":risk_score: > 75"}, format="json"
        )
    assert created.status_code == 200, created.json()
    rule = created.json()
    assert rule["id"].startswith("rule_") and rule["rule_set_version"] == 1 and rule["active"] is True
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(
            "/v1/risk/rules", {"action": "review", "predicate": ":amount: > 100000"}, format="json"
        )
    assert second.json()["rule_set_version"] == 2
    listed = api.get("/v1/risk/rules").json()
    assert listed["rule_set_version"] == 2 and [r["action"] for r in listed["data"]] == ["block", "review"]
    with django_capture_on_commit_callbacks(execute=True):
        edited = api.post(f"/v1/risk/rules/{rule['id']}", {"predicate": ":risk_score: > 80"}, format="json")
    assert edited.json()["predicate"] == ":risk_score: > 80" and edited.json()["rule_set_version"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        disabled = api.post(f"/v1/risk/rules/{rule['id']}", {"enabled": False}, format="json")
    assert disabled.json()["enabled"] is False and disabled.json()["rule_set_version"] == 4
    versions = RuleSet.objects.order_by("version")
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert [v.is_active for v in versions] == [False, False, False, True]
    # the old versions keep their rules as they were
    assert versions[0].rules.get().predicate == ":risk_score: > 75"
    assert AuditEntry.objects.filter(action="risk.rule_set.activated").count() == 4


def test_invalid_rule_is_refused_with_its_position(api):
    response = api.post("/v1/risk/rules", {"action": "block", "predicate": ":amount: > 1 and :nope: = 'x'"},
                        format="json")  # fmt: skip
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "rule_invalid" and error["param"] == "predicate"
    assert error["position"] == {"line": 1, "column": 18, "offset": 17}
    assert not RuleSet.objects.exists()


def test_rule_naming_an_unknown_list_is_refused(api):
    response = api.post(
        "/v1/risk/rules", {"action": "block", "predicate": ":email: in @nowhere"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "value_list_unknown"


def test_rule_warnings_come_back_on_save(api):
    body = api.post("/v1/risk/rules", {"action": "review", "predicate": "not (:ip_country: = 'us')"},
                    format="json").json()  # fmt: skip
    assert [w["code"] for w in body["warnings"]] == ["not_over_missing"]


def test_bad_action_names_the_param(api):
    response = api.post("/v1/risk/rules", {"action": "explode", "predicate": ":amount: > 1"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == "action"


def test_value_lists_and_items_in_stripes_shapes(api):
    created = api.post("/v1/radar/value_lists", {"alias": "blocked_emails", "name": "Blocked", "item_type": "email"},
                       format="json")  # fmt: skip
    assert created.status_code == 200, created.json()
    vl = created.json()
    assert (
        vl["object"] == "radar.value_list" and vl["id"].startswith("rsl_") and vl["list_items"]["data"] == []
    )
    item = api.post("/v1/radar/value_list_items", {"value_list": vl["id"], "value": "Fraud@Example.com"},
                    format="json").json()  # fmt: skip
    assert item["object"] == "radar.value_list_item" and item["value"] == "fraud@example.com"
    bad = api.post(
        "/v1/radar/value_list_items", {"value_list": vl["id"], "value": "not-an-email"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "value"
    listed = api.get("/v1/radar/value_list_items", {"value_list": vl["id"]}).json()
    assert [i["id"] for i in listed["data"]] == [item["id"]]
    assert api.get(f"/v1/radar/value_lists/{vl['id']}").json()["list_items"]["data"][0]["id"] == item["id"]
    assert api.delete(f"/v1/radar/value_list_items/{item['id']}").json()["deleted"] is True
    assert api.get("/v1/radar/value_list_items", {"value_list": vl["id"]}).json()["data"] == []


def test_a_list_a_rule_uses_cannot_be_deleted(api):
    vl = api.post("/v1/radar/value_lists", {"alias": "bad_ips", "name": "IPs", "item_type": "ip_address"},
                  format="json").json()  # fmt: skip
    api.post("/v1/risk/rules", {"action": "block", "predicate": ":ip_address: in @bad_ips"}, format="json")
    refused = api.delete(f"/v1/radar/value_lists/{vl['id']}")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "value_list_in_use"
    assert api.get(f"/v1/radar/value_lists/{vl['id']}").status_code == 200


def test_duplicate_alias_is_refused(api):
    api.post("/v1/radar/value_lists", {"alias": "vip", "name": "VIP"}, format="json")
    again = api.post("/v1/radar/value_lists", {"alias": "vip", "name": "VIP"}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "value_list_alias_taken"


def test_score_without_paying_stores_a_decision(api, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/v1/risk/rules",
            {"action": "review", "predicate": ":card_country: != :ip_country:"},
            format="json",
        )
    pm = make_card(merchant)
    response = api.post("/v1/risk/score", {"amount": 5000, "currency": "usd", "payment_method": pm.public_id,
                                           "ip_country": "NG"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["object"] == "risk.decision" and body["action"] == "review"
    assert body["matched_rules"][0]["values"] == {"card_country": "US", "ip_country": "NG"}
    assert any(c["component"] == "ip_country_mismatch" for c in body["score_components"])
    assert body["charge"] is None and body["rule_set_version"] == 1
    fetched = api.get(f"/v1/risk/decisions/{body['id']}").json()
    assert fetched["id"] == body["id"]


def test_score_with_another_merchants_payment_method_is_404(api, other_merchant):
    pm = make_card(other_merchant)
    response = api.post("/v1/risk/score", {"amount": 5000, "currency": "usd", "payment_method": pm.public_id},
                        format="json")  # fmt: skip
    assert response.status_code == 404 and response.json()["error"]["param"] == "payment_method"


def test_decision_record_of_a_payment(api, merchant, django_capture_on_commit_callbacks):
    vl = api.post(
        "/v1/radar/value_lists", {"alias": "vip", "name": "VIP", "item_type": "email"}, format="json"
    ).json()
    api.post(
        "/v1/radar/value_list_items", {"value_list": vl["id"], "value": "vip@example.com"}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/v1/risk/rules", {"action": "review", "predicate": ":amount: >= 2000"}, format="json")
        api.post("/v1/risk/rules", {"action": "allow", "predicate": ":email: in @vip"}, format="json")
    customer = make_customer(merchant, email="vip@example.com")
    body = pay(api, make_card(merchant, customer=customer), customer=customer.public_id, amount=2000).json()
    charge = api.get(f"/v1/charges/{body['latest_charge']}").json()
    decision = api.get(f"/v1/risk/decisions/{charge['risk']['decision']}").json()
    assert decision["action"] == "allow" and decision["rule_set_version"] == 2
    assert {m["action"] for m in decision["matched_rules"]} == {"review", "allow"}
    values = {m["action"]: m["values"] for m in decision["matched_rules"]}
    assert values == {"review": {"amount": 2000}, "allow": {"email": "vip@example.com"}}
    assert decision["inputs"]["attempts_per_card_fingerprint_10m"] == 1
    assert decision["charge"] == charge["id"] and decision["payment_intent"] == body["id"]
    assert charge["outcome"]["rule"] == decision["rule"]
    assert not Review.objects.exists()


def test_reviews_list_retrieve_approve(api, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/v1/risk/rules", {"action": "review", "predicate": ":amount: > 100"}, format="json")
    body = pay(api, make_card(merchant), amount=1500).json()
    listed = api.get("/v1/reviews").json()
    assert len(listed["data"]) == 1
    review = listed["data"][0]
    assert review["object"] == "review" and review["open"] and review["opened_reason"] == "rule"
    assert review["payment_intent"] == body["id"]
    assert api.get(f"/v1/reviews/{review['id']}").json()["id"] == review["id"]
    approved = api.post(f"/v1/reviews/{review['id']}/approve", {}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["open"] is False and approved.json()["closed_reason"] == "approved"
    assert api.get(f"/v1/payment_intents/{body['id']}").json()["status"] == "succeeded"  # held, captured now
    again = api.post(f"/v1/reviews/{review['id']}/approve", {}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "review_not_open"


def test_tenant_isolation_on_every_endpoint(api, api_other, merchant, django_capture_on_commit_callbacks):
    vl = api.post(
        "/v1/radar/value_lists", {"alias": "x", "name": "x", "item_type": "string"}, format="json"
    ).json()
    item = api.post(
        "/v1/radar/value_list_items", {"value_list": vl["id"], "value": "abc"}, format="json"
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        rule = api.post(
            "/v1/risk/rules", {"action": "review", "predicate": ":amount: > 100"}, format="json"
        ).json()
    pay(api, make_card(merchant), amount=1500)
    review = Review.objects.get()
    decision = RiskDecision.objects.get()
    for path in (f"/v1/radar/value_lists/{vl['id']}", f"/v1/radar/value_list_items/{item['id']}",
                 f"/v1/risk/rules/{rule['id']}", f"/v1/reviews/{review.public_id}",
                 f"/v1/risk/decisions/{decision.public_id}"):  # fmt: skip
        assert api_other.get(path).status_code == 404, path
    assert api_other.post(f"/v1/reviews/{review.public_id}/approve", {}, format="json").status_code == 404
    assert (
        api_other.post(f"/v1/risk/rules/{rule['id']}", {"enabled": False}, format="json").status_code == 404
    )
    assert api_other.delete(f"/v1/radar/value_lists/{vl['id']}").status_code == 404
    assert api_other.delete(f"/v1/radar/value_list_items/{item['id']}").status_code == 404
    assert api_other.get("/v1/radar/value_list_items", {"value_list": vl["id"]}).status_code == 404
    other_item = api_other.post(
        "/v1/radar/value_list_items", {"value_list": vl["id"], "value": "zzz"}, format="json"
    )
    assert other_item.status_code == 404
    assert api_other.get("/v1/reviews").json()["data"] == []
    assert api_other.get("/v1/radar/value_lists").json()["data"] == []
    assert api_other.get("/v1/risk/rules").json()["data"] == []
    assert review.open
