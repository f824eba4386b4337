"""/ready's scheduler and connector reports, GET /v1/diagnostics and GET /v1/pci/attestation."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.core.models import SchedulerHeartbeat
from apps.core.tasks import scheduler_heartbeat_task
from apps.devtools.models import AccessReview
from apps.vault.models import VaultRecord
from tests.intents.helpers import make_card, pay
from tests.ledger.factories import fund
from tests.payouts.factories import us_bank

pytestmark = pytest.mark.django_db


def test_ready_reports_the_beat_heartbeat_and_connectors_without_failing_on_them(client, merchant, api):
    body = client.get("/ready").json()
    assert body["status"] == "ok" and body["scheduler"]["state"] == "missing"
    assert body["scheduler_last_heartbeat"] is None
    scheduler_heartbeat_task()
    body = client.get("/ready").json()
    assert body["scheduler"]["state"] == "ok" and isinstance(body["scheduler_last_heartbeat"], int)
    SchedulerHeartbeat.objects.update(last_run_at=timezone.now() - dt.timedelta(minutes=5))
    response = client.get("/ready")
    assert response.status_code == 200 and response.json()["scheduler"]["state"] == "stale"
    pay(api, make_card(merchant))  # the merchant's sandbox connector now exists
    from django.core.cache import cache

    cache.delete("clearhouse:ready:connectors")
    assert client.get("/ready").json()["reports"]["connectors"]["sandbox"]["ok"] is True


def test_diagnostics_shows_this_merchants_flows_only(api, api_other, merchant):
    pm = make_card(merchant)
    stuck = pay(api, pm, metadata={"sandbox_fault": "timeout_after_processing"}).json()
    assert stuck["status"] == "processing"
    pay(api, pm)
    declined = make_card(merchant, "4000000000000002")
    pay(api, declined)
    refunded = pay(api, make_card(merchant, "4000000000005126")).json()
    assert (
        api.post("/v1/refunds", {"payment_intent": refunded["id"]}, format="json").json()["status"]
        == "pending"
    )
    fund(merchant, 10_000)
    us_bank(merchant)
    api.post("/v1/payouts", {"amount": 1_000, "currency": "usd"}, format="json")
    api.post(
        "/v1/webhook_endpoints",
        {"url": "https://hooks.example.com/x", "enabled_events": ["*"]},
        format="json",
    )

    body = api.get("/v1/diagnostics").json()
    in_flight = {row["status"]: row["count"] for row in body["payment_intents_in_flight"]}
    assert in_flight == {"processing": 1, "requires_payment_method": 1}
    assert body["attempts_unresolved"]["count"] == 1
    assert body["failed_attempts_last_24h_by_connector"] == {"sandbox": 1}
    assert body["connector_latency_last_24h"]["sandbox"]["samples"] >= 3
    assert body["refunds_queued"] == {"pending": 1}
    assert body["payouts_queued"] == {"pending": 1}
    assert [c["code"] for c in body["connectors"]] == ["sandbox"] and body["connectors"][0]["ok"] is True
    assert body["celery"]["beat"]["state"] in ("missing", "ok", "stale")
    assert "messages" in body["celery"]["queue"]

    other = api_other.get("/v1/diagnostics").json()
    assert other["payment_intents_in_flight"] == [] and other["attempts_unresolved"]["count"] == 0
    assert other["refunds_queued"] == {} and other["connectors"] == []


def test_diagnostics_and_attestation_need_a_secret_key(client_for, merchant):
    publishable = client_for(merchant, kind="publishable")
    for path in ("/v1/diagnostics", "/v1/pci/attestation"):
        assert publishable.get(path).status_code in (401, 403)
    from rest_framework.test import APIClient

    assert APIClient().get("/v1/diagnostics").status_code == 401


def test_pci_attestation_states_the_facts_and_never_card_data(api, merchant, settings):
    make_card(merchant)
    make_card(merchant, "5555555555554444")
    body = api.get("/v1/pci/attestation").json()
    text = json.dumps(body)
    assert "4242424242424242" not in text and "5555555555554444" not in text
    assert body["card_data"]["returned"] is False and body["card_data"]["cvc_stored"] is False
    assert body["card_data"]["cvc_held_until_first_authorization"] is True
    assert (body["card_data"]["cvc_hold_max_seconds"], body["card_data"]["cvc_holds_open"]) == (3600, 2)

    in_use = body["vault"]["key_versions_in_use"]
    assert sum(in_use.values()) == VaultRecord.objects.filter(merchant=merchant).count() == 2
    assert set(in_use) <= set(body["vault"]["configured_key_versions"])
    assert body["vault"]["active_key_version"] in body["vault"]["configured_key_versions"]
    assert "AES-256-GCM" in body["vault"]["scheme"] and "HMAC-SHA256" in body["fingerprint"]["scheme"]
    assert body["audit"]["append_only"] is True
    assert body["staff"]["mfa_enforced"] is False  # the suite turns admin 2FA off (tests/conftest.py)
    assert body["staff"]["last_access_review"] is None
    settings.ADMIN_2FA_REQUIRED = True
    AccessReview.objects.create(
        reviewer_label="compliance-1", notes="quarterly", snapshot={"active_staff": 3}
    )
    body = api.get("/v1/pci/attestation").json()
    assert body["staff"]["mfa_enforced"] is True
    assert body["staff"]["last_access_review"]["reviewed_by"] == "compliance-1"


def test_pci_attestation_counts_the_open_cvc_holds(api, merchant):
    before = api.get("/v1/pci/attestation").json()["card_data"]["cvc_holds_open"]
    token = api.post("/v1/tokens", {"card": {"number": "4000056655665556", "exp_month": 12, "exp_year": 2031,
                                             "cvc": "737"}}, format="json")  # fmt: skip
    assert token.status_code == 200, token.content
    assert api.get("/v1/pci/attestation").json()["card_data"]["cvc_holds_open"] == before + 1
