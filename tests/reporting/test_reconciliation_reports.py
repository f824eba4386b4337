"""Reconciliation report types over a real reconciliation: the sandbox acquirer's settlement file
and the sandbox bank's statement ingested, a run matched them; one payment settles 3 cents short
(the sandbox's 2092 amount), so its line carries an open `amount_under` discrepancy."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from tests.reconciliation.factories import (
    charge_paid,
    ingest_acquirer_file,
    ingest_bank_statement,
    run,
    sandbox_fee_rule,
    today,
)

pytestmark = pytest.mark.django_db


def _report(api, django_capture_on_commit_callbacks, report_type, fmt, **parameters):
    midnight = datetime.combine(today(), datetime.min.time(), tzinfo=UTC)
    parameters = {"interval_start": int(midnight.timestamp()), "interval_end": int(timezone.now().timestamp()),
                  **parameters}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/v1/reporting/report_runs",
                           {"report_type": report_type, "format": fmt, "parameters": parameters}, format="json")  # fmt: skip
    assert created.status_code == 200, created.json()
    body = api.get(f"/v1/reporting/report_runs/{created.json()['id']}").json()
    assert body["status"] == "succeeded", body["error"]
    response = api.get(body["result"]["url"])
    return b"".join(response.streaming_content)


@pytest.fixture
def reconciled(api, merchant):
    sandbox_fee_rule()
    good = charge_paid(api, merchant, 2000)
    short = charge_paid(api, merchant, 2092)
    ingest_acquirer_file(merchant)
    ingest_bank_statement([today()])
    assert run().status == "completed"
    return {"good": good, "short": short}


def test_settlement_lines_carry_their_match_and_discrepancy(
    api, api_other, reconciled, django_capture_on_commit_callbacks
):
    data = _report(api, django_capture_on_commit_callbacks, "settlement_lines.itemized.1", "csv")
    rows = {r["psp_reference"]: r for r in csv.DictReader(io.StringIO(data.decode()))}
    good = rows[reconciled["good"].gateway_reference]
    short = rows[reconciled["short"].gateway_reference]
    assert (good["result"], good["ledger_item_status"], good["discrepancy"]) == ("matched", "matched", "")
    assert good["gross"] == "2000" and good["gross_decimal"] == "20.00"
    assert good["settled_on"] == today().isoformat() and good["connector"] == "sandbox"
    assert (short["result"], short["discrepancy_type"], short["discrepancy_status"]) == (
        "discrepancy", "amount_under", "open",
    )  # fmt: skip
    assert (short["gross"], short["ledger_amount"], short["discrepancy_difference_decimal"]) == (
        "2089", "2092", "-0.03",
    )  # fmt: skip
    # Parquet of the same run parameters: the same rows and amounts, amounts as int64.
    table = pq.read_table(io.BytesIO(_report(api, django_capture_on_commit_callbacks,
                                             "settlement_lines.itemized.1", "parquet")))  # fmt: skip
    assert str(table.schema.field("gross").type) == "int64"
    assert sorted(table.column("gross").to_pylist()) == sorted(int(r["gross"]) for r in rows.values())
    # Another merchant sees none of these lines.
    other = _report(api_other, django_capture_on_commit_callbacks, "settlement_lines.itemized.1", "csv")
    assert other.decode().splitlines()[1:] == []


def test_discrepancies_report_lists_the_open_discrepancy_with_its_diff(
    api, reconciled, django_capture_on_commit_callbacks
):
    data = _report(api, django_capture_on_commit_callbacks, "reconciliation_discrepancies.itemized.1", "jsonl",
                   status="open")  # fmt: skip
    [row] = [json.loads(line) for line in data.decode().splitlines()]
    assert (row["type"], row["status"], row["difference"], row["difference_decimal"]) == (
        "amount_under", "open", -3, "-0.03",
    )  # fmt: skip
    assert (
        row["ledger_item_kind"] == "capture" and row["psp_reference"] == reconciled["short"].gateway_reference
    )
    assert {"field": "gross", "ours": 2092, "theirs": 2089, "difference": -3} in json.loads(row["diffs"])
    assert row["day"] == today().isoformat()


def test_date_rows_belong_to_the_local_days_starting_in_the_interval():
    """settled_on / day are dates: a run takes the local days whose midnight is in [start, end),
    so consecutive runs partition them, over Berlin's 23-hour day too."""
    from zoneinfo import ZoneInfo

    from apps.reporting.report_types import Context
    from apps.reporting.report_types.base import local_days

    berlin = ZoneInfo("Europe/Berlin")
    d = (
        datetime(2026, 3, 28, tzinfo=berlin),
        datetime(2026, 3, 29, tzinfo=berlin),
        datetime(2026, 3, 30, tzinfo=berlin),
    )

    def days(start, end):
        return local_days(Context(merchant_id=1, livemode=False, start=start.astimezone(UTC),
                                  end=end.astimezone(UTC), tz=berlin, filters={}))  # fmt: skip

    assert [b.timestamp() - a.timestamp() for a, b in ((d[0], d[1]), (d[1], d[2]))] == [86400, 82800]
    assert days(d[0], d[1]) == (d[0].date(), d[1].date())
    assert days(d[1], d[2]) == (d[1].date(), d[2].date())
    # Not day-aligned: 12:00 → 12:00 holds the one midnight in it.
    noon = timedelta(hours=12)
    assert days(d[0] + noon, d[1] + noon) == (d[1].date(), d[2].date())


def test_the_settlement_reports_bridge_lists_the_open_discrepancy_as_a_residual(api, reconciled):
    body = api.get(f"/v1/reporting/settlement/{today().isoformat()}").json()
    usd = next(b for b in body["payout_bridge"] if b["currency"].upper() == "USD")
    [residual] = usd["residuals"]
    assert (residual["type"], residual["amount"], residual["status"]) == ("amount_under", -3, "open")
    assert residual["discrepancy"].startswith("dsc_") and "0.03" in residual["description"]
