"""Connector accounts over the API: create with a type, masked credentials, capabilities that
only narrow, update, disable/delete, test, logs, rotation, discovery and tenant isolation."""

import json

import pytest

from apps.audit.models import AuditEntry
from apps.connectors.models import Connector

SECRET = "whsec_rotating_secret_value_1234"


def _create(api, **body):
    body.setdefault("type", "sandbox")
    body.setdefault("label", "Sandbox A")
    return api.post("/v1/connectors", body, format="json")


def test_providers_are_listed_without_a_key(client):
    resp = client.get("/v1/providers")
    assert resp.status_code == 200
    sandbox = next(p for p in resp.json()["data"] if p["type"] == "sandbox")
    assert "visa" in sandbox["capabilities"]["card_networks"]
    assert sandbox["decline_table"]["stolen_card"] == "do_not_retry"
    assert sandbox["decline_table"]["do_not_honor"] == "retry_elsewhere"


def test_create_masks_credentials_everywhere(api):
    resp = _create(api, credentials={"webhook_secret": SECRET}, capabilities={"currencies": ["eur"]})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["id"].startswith("con_")
    assert body["credentials"]["fields"] == {"webhook_secret": "••••1234"}
    assert body["credentials"]["fingerprint"].startswith("fp_")
    assert body["capabilities"]["currencies"] == ["EUR"]
    row = Connector.objects.get(public_id=body["id"])
    assert SECRET not in row.credentials_ciphertext
    for text in (
        json.dumps(body),
        json.dumps(api.get(f"/v1/connectors/{body['id']}").json()),
        json.dumps(api.get("/v1/connectors").json()),
        json.dumps(list(AuditEntry.objects.filter(object_id=body["id"]).values("before", "after"))),
    ):
        assert SECRET not in text and "rotating_secret" not in text


def test_unknown_type_and_widening_capabilities_are_refused(api):
    resp = _create(api, type="nope")
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "type"
    resp = _create(api, capabilities={"card_networks": ["visa", "martian"]})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "capabilities[card_networks]"
    resp = _create(api, config={"fault": "explode"})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "config"


def test_update_disable_and_delete(api):
    con = _create(api).json()["id"]
    resp = api.post(f"/v1/connectors/{con}", {"label": "Renamed", "status": "disabled"}, format="json")
    assert resp.json()["label"] == "Renamed" and resp.json()["status"] == "disabled"
    resp = api.delete(f"/v1/connectors/{con}")
    assert resp.json()["deleted"] is True
    assert not Connector.objects.filter(public_id=con).exists()


def test_test_endpoint_records_and_is_rate_limited(api):
    con = _create(api).json()["id"]
    resp = api.post(f"/v1/connectors/{con}/test")
    assert resp.status_code == 200
    body = resp.json()
    assert body["ok"] is True and body["provider_request_id"] and body["checked_at"]
    assert api.get(f"/v1/connectors/{con}").json()["last_test"]["ok"] is True
    for _ in range(4):
        api.post(f"/v1/connectors/{con}/test")
    limited = api.post(f"/v1/connectors/{con}/test")
    assert limited.status_code == 429
    logs = api.get(f"/v1/connectors/{con}/logs").json()["data"]
    assert logs[0]["operation"] == "health" and logs[0]["outcome"] == "ok"


def test_rotation_keeps_the_previous_credentials_until_cut_over(api):
    con = _create(api, credentials={"webhook_secret": SECRET}).json()["id"]
    resp = api.post(
        f"/v1/connectors/{con}/rotate_credentials",
        {"credentials": {"webhook_secret": "whsec_the_new_one_abcd"}},
        format="json",
    )
    body = resp.json()
    assert body["credentials"]["fields"]["webhook_secret"] == "••••abcd"
    assert body["credentials"]["previous"]["fields"]["webhook_secret"] == "••••1234"
    assert AuditEntry.objects.filter(object_id=con, action="connector.rotate_credentials").exists()
    resp = api.post(f"/v1/connectors/{con}/complete_rotation")
    assert resp.json()["credentials"]["previous"] is None
    again = api.post(f"/v1/connectors/{con}/complete_rotation")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "connector_no_rotation_in_progress"


def test_discover_lists_only_connectors_that_fit(api):
    eur = _create(api, label="EUR only", capabilities={"currencies": ["EUR"]}).json()["id"]
    usd = _create(api, label="USD only", capabilities={"currencies": ["USD"]}).json()["id"]
    resp = api.get("/v1/connectors/discover?country=DE&currency=EUR&payment_method_type=card")
    ids = [c["id"] for c in resp.json()["data"]]
    assert eur in ids and usd not in ids
    resp = api.get("/v1/connectors/discover?currency=EUR&payment_method_type=sepa_debit")
    assert resp.json()["data"] == []
    assert api.get("/v1/connectors/discover?currency=XXZ").status_code == 400


@pytest.mark.parametrize(
    "method,suffix",
    [("get", ""), ("post", ""), ("delete", ""), ("post", "/test"), ("get", "/logs"),
     ("post", "/rotate_credentials"), ("post", "/complete_rotation")],
)  # fmt: skip
def test_another_merchants_connector_answers_404(api, api_other, method, suffix):
    con = _create(api).json()["id"]
    resp = getattr(api_other, method)(f"/v1/connectors/{con}{suffix}", {}, format="json")
    assert resp.status_code == 404
    assert con not in [c["id"] for c in api_other.get("/v1/connectors").json()["data"]]


def test_callbacks_signed_with_the_previous_secret_verify_until_cut_over(api):
    from apps.connectors import gateway
    from apps.connectors.base import InboundWebhookError
    from apps.connectors.sandbox import SandboxAdapter

    con = _create(api, credentials={"webhook_secret": SECRET}).json()["id"]
    old = SandboxAdapter(credentials={"webhook_secret": SECRET})
    new_secret = "whsec_after_rotation_secret_42"
    api.post(
        f"/v1/connectors/{con}/rotate_credentials",
        {"credentials": {"webhook_secret": new_secret}},
        format="json",
    )
    row = Connector.objects.get(public_id=con)
    body, headers = old.build_webhook(
        type="charge.succeeded", gateway_reference="sbxch_x", amount=100, currency="usd"
    )
    assert (
        gateway.parse_inbound_webhook(connector=row, body=body, headers=headers).gateway_reference
        == "sbxch_x"
    )
    fresh = SandboxAdapter(credentials={"webhook_secret": new_secret}).build_webhook(
        type="charge.succeeded", gateway_reference="sbxch_y", amount=100, currency="usd"
    )
    assert (
        gateway.parse_inbound_webhook(connector=row, body=fresh[0], headers=fresh[1]).gateway_reference
        == "sbxch_y"
    )
    api.post(f"/v1/connectors/{con}/complete_rotation")
    row.refresh_from_db()
    with pytest.raises(InboundWebhookError):
        gateway.parse_inbound_webhook(connector=row, body=body, headers=headers)


def test_run_settlement_reports_the_providers_day_and_hands_it_over(api, merchant):
    import datetime as dt

    from apps.connectors import settlement
    from apps.reconciliation.models import ReconciliationRun, SettlementFile
    from tests.intents.helpers import make_card, pay

    pay(api, make_card(merchant))
    con = Connector.objects.get(merchant=merchant, is_default=True)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    # Reconciliation registered its sync (apps.reconciliation.apps): the day is ingested and reconciled.
    resp = api.post(f"/v1/connectors/{con.public_id}/run_settlement", {"date": today}, format="json").json()
    assert resp["lines"] == 1 and resp["totals"]["usd"]["amount"] == 2000 and resp["handed_over"] is True
    assert len(resp["reconciliation"]["files"]) == 1 and len(resp["reconciliation"]["runs"]) == 1
    assert SettlementFile.objects.filter(public_id=resp["reconciliation"]["files"][0]).exists()
    assert ReconciliationRun.objects.filter(
        public_id=resp["reconciliation"]["runs"][0], merchant=merchant
    ).exists()
    # Run again: the same file is a duplicate, not read twice.
    again = api.post(f"/v1/connectors/{con.public_id}/run_settlement", {"date": today}, format="json").json()
    assert again["reconciliation"]["files"] == [] and again["reconciliation"]["duplicates"] == 1
    # Without a registered sync the run only reports the provider's day.
    saved = list(settlement._SYNC)
    settlement._SYNC.clear()
    try:
        alone = api.post(
            f"/v1/connectors/{con.public_id}/run_settlement", {"date": today}, format="json"
        ).json()
    finally:
        settlement._SYNC[:] = saved
    assert alone["handed_over"] is False and alone["lines"] == 1
    assert (
        api.post(
            f"/v1/connectors/{con.public_id}/run_settlement", {"date": "nope"}, format="json"
        ).status_code
        == 400
    )
