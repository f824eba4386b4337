import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.reconciliation.models import Discrepancy, ReconciliationRun, SettlementFile, SettlementSync

from .factories import charge_paid, sandbox_fee_rule, today

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"


def _interval(day=None):
    day = day or today()
    return {"interval_start": day.isoformat(), "interval_end": (day + dt.timedelta(days=1)).isoformat()}


@pytest.fixture
def synced(api, merchant, django_capture_on_commit_callbacks):
    """A day of the merchant's payments with an amount fault, synced and reconciled through the API."""
    sandbox_fee_rule()
    charge_paid(api, merchant, 2000)
    charge_paid(api, merchant, 2092)
    with django_capture_on_commit_callbacks(execute=True):
        sync = api.post("/v1/settlements/sync", _interval(), format="json")
    assert sync.status_code == 202, sync.json()
    with django_capture_on_commit_callbacks(execute=True):
        run = api.post("/v1/reconciliations", _interval(), format="json")
    assert run.status_code == 202, run.json()
    return sync.json(), run.json()


def test_sync_answers_202_with_the_job_and_ingests_the_acquirer_file(synced):
    sync, _ = synced
    assert sync["object"] == "settlement_sync" and sync["id"].startswith("ssy_")
    job = SettlementSync.objects.get(public_id=sync["id"])
    assert job.status == "completed" and job.result["files"]
    assert SettlementFile.objects.filter(source="sync", status="processed").count() == 1


def test_settlements_list_and_retrieve_show_only_the_merchants_lines(api, synced, client_for, other_merchant):
    charge_paid(client_for(other_merchant), other_merchant, 3000)
    listed = api.get("/v1/settlements").json()
    [settlement] = listed["data"]
    assert settlement["line_count"] == 2 and settlement["gross"] == 2000 + 2089
    detail = api.get(f"/v1/settlements/{settlement['id']}").json()
    assert [line["gross"] for line in detail["lines"]["data"]] == [2000, 2089]
    other = client_for(other_merchant)
    assert other.get("/v1/settlements").json()["data"] == []
    assert other.get(f"/v1/settlements/{settlement['id']}").status_code == 404


def test_reconciliation_run_discrepancies_and_merchant_resolve(api, synced, client_for, other_merchant):
    _, created = synced
    assert created["id"].startswith("rec_")
    run = api.get(f"/v1/reconciliations/{created['id']}").json()
    assert run["status"] == "completed" and run["progress"]["matched"] == 1
    [discrepancy] = api.get(f"/v1/reconciliations/{created['id']}/discrepancies").json()["data"]
    assert discrepancy["type"] == "amount_under" and "amount 20.92" in discrepancy["description"]
    assert discrepancy["fields"] == [{"field": "gross", "ours": 2092, "theirs": 2089, "difference": -3}]
    url = f"/v1/reconciliations/{created['id']}/discrepancies/{discrepancy['id']}/resolve"

    refused = api.post(url, {"action": "write_off", "note": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["param"] == "action"
    other = client_for(other_merchant)
    assert other.get(f"/v1/reconciliations/{created['id']}").status_code == 404
    assert other.get(f"/v1/reconciliations/{created['id']}/discrepancies").status_code == 404
    assert other.post(url, {"action": "ignore", "note": "x"}, format="json").status_code == 404

    resolved = api.post(url, {"action": "ignore", "note": "known rounding at the acquirer"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "ignored"
    again = api.post(url, {"action": "ignore", "note": "again"}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "discrepancy_already_resolved"


def test_a_merchant_run_decides_only_its_own_items(
    api, merchant, client_for, other_merchant, django_capture_on_commit_callbacks
):
    charge_paid(client_for(other_merchant), other_merchant, 2091)  # the other merchant's line goes missing
    charge_paid(api, merchant, 2000)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/v1/settlements/sync", _interval(), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/v1/reconciliations", _interval(), format="json").json()
    assert ReconciliationRun.objects.get(public_id=created["id"]).status == "completed"
    assert ReconciliationRun.objects.get(public_id=created["id"]).merchant == merchant
    assert not Discrepancy.objects.exclude(merchant=merchant).exists()


def test_upload_of_a_merchants_own_file_and_the_duplicate_guard(api):
    content = (SAMPLES / "stripe_itemized_payout_reconciliation.csv").read_bytes()

    def upload():
        return api.post(
            "/v1/settlements/upload",
            {
                "file": SimpleUploadedFile("po.csv", content, "text/csv"),
                "format": "stripe_payout_reconciliation",
            },
            format="multipart",
        )

    first = upload()
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "processed" and len(first.json()["settlements"]) == 1
    assert SettlementFile.objects.get(public_id=first.json()["id"]).merchant == api.merchant
    second = upload()
    assert second.status_code == 400 and first.json()["id"] in second.json()["error"]["message"]


def test_bad_input_names_the_param(api):
    bad = api.post(
        "/v1/reconciliations", {"interval_start": "2026-13-01", "interval_end": "2026-12-02"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "interval_start"
    backwards = api.post(
        "/v1/reconciliations", {"interval_start": "2026-12-02", "interval_end": "2026-12-01"}, format="json"
    )
    assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "interval_invalid"
    unknown = api.post("/v1/settlements/sync", {**_interval(), "connector": "con_nope"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "connector"
    fmt = api.post(
        "/v1/settlements/upload",
        {"file": SimpleUploadedFile("x.csv", b"a"), "format": "xls"},
        format="multipart",
    )
    assert fmt.status_code == 400 and fmt.json()["error"]["param"] == "format"
