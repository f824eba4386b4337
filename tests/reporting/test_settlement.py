"""The daily settlement report: per acquirer and currency, and the payout bridge per currency."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from apps.ledger.models import BalanceTransaction
from apps.reporting import registry
from tests.reporting.conftest import backdate

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 20)


@pytest.fixture
def settled(payments, merchant):
    backdate(merchant, datetime(2026, 11, 20, 10, tzinfo=UTC))
    return payments


def test_the_day_per_acquirer_and_currency_with_a_balanced_bridge(api, settled, merchant):
    body = api.get("/v1/reporting/settlement/2026-11-20", {"timezone": "Europe/Berlin"}).json()
    lines = {(a["connector"], a["currency"]): a for a in body["acquirers"]}
    usd = lines[("sandbox", "usd")]
    assert usd["gross_captures"] == 2500 and usd["counts"]["gross_captures"] == 1
    assert usd["refunds"] == -500
    txns = BalanceTransaction.objects.filter(merchant=merchant, currency="USD")
    assert usd["fees"] == sum(t.fee for t in txns)
    assert usd["net"] == sum(t.net for t in txns)
    assert lines[("sandbox", "eur")]["gross_captures"] == 1234
    for bridge in body["payout_bridge"]:
        assert bridge["opening_balance"] == 0
        assert bridge["opening_balance"] + bridge["activity"] + bridge["payouts"] == bridge["closing_balance"]
        assert bridge["balanced"] is True
    assert body["interval_end"] - body["interval_start"] == 86400
    empty = api.get("/v1/reporting/settlement/2026-11-21").json()
    assert empty["acquirers"] == []
    assert {b["opening_balance"] for b in empty["payout_bridge"]} == {
        b["closing_balance"] for b in body["payout_bridge"]
    }


def test_residuals_come_from_registered_providers(api, settled, merchant, monkeypatch):
    calls = []

    def provider(*, merchant, livemode, day, currency):
        calls.append((day, currency))
        return [{"discrepancy": "rec_1", "amount": 7, "status": "open"}] if currency == "USD" else []

    monkeypatch.setattr(registry, "_RESIDUAL_PROVIDERS", [provider])
    body = api.get("/v1/reporting/settlement/2026-11-20").json()
    bridges = {b["currency"]: b for b in body["payout_bridge"]}
    assert bridges["usd"]["residuals"] == [{"discrepancy": "rec_1", "amount": 7, "status": "open"}]
    assert bridges["eur"]["residuals"] == []
    assert (DAY, "USD") in calls


def test_settlement_is_tenant_scoped_and_checks_its_date(api_other, api, settled):
    assert api_other.get("/v1/reporting/settlement/2026-11-20").json()["acquirers"] == []
    bad = api.get("/v1/reporting/settlement/2026-13-40")
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "date")


def test_settlement_is_exportable_as_a_report_run(api, settled, django_capture_on_commit_callbacks):
    start = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
    with django_capture_on_commit_callbacks(execute=True):
        run = api.post("/v1/reporting/report_runs", {"report_type": "settlement.daily.1", "format": "csv",
                       "parameters": {"interval_start": start, "interval_end": start + 2 * 86400}}, format="json").json()  # fmt: skip
    run = api.get(f"/v1/reporting/report_runs/{run['id']}").json()
    assert run["status"] == "succeeded", run["error"]
    data = b"".join(api.get(run["result"]["url"]).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert {(r["date"], r["connector"], r["currency"]) for r in rows} == {
        ("2026-11-20", "sandbox", "USD"),
        ("2026-11-20", "sandbox", "EUR"),
    }
    usd = next(r for r in rows if r["currency"] == "USD")
    assert (usd["gross_captures"], usd["gross_captures_decimal"], usd["refunds"]) == ("2500", "25.00", "-500")
