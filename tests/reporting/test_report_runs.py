"""Report runs: pending → succeeded | failed by a Celery task, CSV / JSON Lines / Parquet of the
same rows, byte-identical re-runs with a manifest that tells a re-run from a change, progress,
signed and tenant-bound file links, exact interval partitioning (the DST day included)."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.intents.models import Charge, PaymentIntent
from apps.reporting import report_types, sql_export, writers
from apps.reporting.models import ReportRun
from apps.reporting.report_types import report_types as all_types
from apps.webhooks.models import Event
from tests.reporting.conftest import backdate

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 11, 20, tzinfo=UTC)


def _run(api, django_capture_on_commit_callbacks, report_type="payments.itemized.1", fmt="csv", **parameters):
    parameters.setdefault("interval_start", int(DAY0.timestamp()))
    parameters.setdefault("interval_end", int((DAY0 + timedelta(days=2)).timestamp()))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/v1/reporting/report_runs",
                            {"report_type": report_type, "format": fmt, "parameters": parameters}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    return api.get(f"/v1/reporting/report_runs/{response.json()['id']}").json()


def _download(api, run) -> bytes:
    response = api.get(run["result"]["url"])
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


@pytest.fixture
def closed(payments, merchant):
    """The payments, moved to a closed day in the past."""
    backdate(merchant, DAY0 + timedelta(hours=10))
    return payments


def test_csv_jsonl_and_parquet_of_a_run_hold_the_same_rows_and_amounts(
    api, closed, django_capture_on_commit_callbacks
):
    runs = {
        fmt: _run(api, django_capture_on_commit_callbacks, fmt=fmt) for fmt in ("csv", "jsonl", "parquet")
    }
    assert {r["status"] for r in runs.values()} == {"succeeded"}
    rows_csv = list(csv.DictReader(io.StringIO(_download(api, runs["csv"]).decode())))
    rows_jsonl = [json.loads(line) for line in _download(api, runs["jsonl"]).decode().splitlines()]
    table = pq.read_table(io.BytesIO(_download(api, runs["parquet"])))
    rows_parquet = table.to_pylist()
    assert len(rows_csv) == len(rows_jsonl) == len(rows_parquet) == 3
    assert str(table.schema.field("amount").type) == "int64"
    assert str(table.schema.field("amount_decimal").type) == "string"
    meta = table.schema.metadata
    assert meta[b"clearhouse.schema_version"] == b"1"
    assert meta[b"clearhouse.report_type"] == b"payments.itemized.1"
    for a, b, c in zip(rows_csv, rows_jsonl, rows_parquet, strict=True):
        assert a["id"] == b["id"] == c["id"]
        assert int(a["amount"]) == b["amount"] == c["amount"]
        assert a["amount_decimal"] == b["amount_decimal"] == c["amount_decimal"]
        assert int(a["amount_received"]) == b["amount_received"] == c["amount_received"]
    assert sorted(r["amount_decimal"] for r in rows_parquet) == ["12.34", "25.00", "9.00"]
    assert {r["card_brand"] for r in rows_parquet} == {"mastercard", "visa"}


def test_a_rerun_writes_the_same_bytes_and_the_manifest_tells_a_change(
    api, closed, merchant, django_capture_on_commit_callbacks
):
    first = _run(api, django_capture_on_commit_callbacks, fmt="parquet")
    again = _run(api, django_capture_on_commit_callbacks, fmt="parquet")
    data = _download(api, first)
    assert data == _download(api, again)
    manifest = again["manifest"]
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() == first["result"]["sha256"]
    assert manifest["row_count"] == 3 and manifest["size"] == len(data)
    assert manifest["parameters"]["interval_start"] == int(DAY0.timestamp())
    assert manifest["parameters"]["timezone"] == "UTC"
    assert manifest["schema_version"] == "1" and manifest["report_type"] == "payments.itemized.1"
    assert (manifest["previous_run"], manifest["changed_since_previous"]) == (first["id"], False)
    assert first["manifest"]["previous_run"] is None
    # A late change of the data (a refund lands on a closed day): same parameters, new bytes.
    PaymentIntent.objects.filter(merchant=merchant, status="succeeded", currency="EUR").update(
        amount_refunded=100
    )
    changed = _run(api, django_capture_on_commit_callbacks, fmt="parquet")
    assert changed["manifest"]["previous_run"] == again["id"]
    assert changed["manifest"]["changed_since_previous"] is True
    assert changed["manifest"]["parameters_hash"] == manifest["parameters_hash"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_progress_is_written_as_batches_go(api, closed, monkeypatch, django_capture_on_commit_callbacks, fmt):
    monkeypatch.setattr(writers, "BATCH", 1)
    monkeypatch.setattr(sql_export, "BATCH", 1)
    with CaptureQueriesContext(connection) as queries:
        run = _run(api, django_capture_on_commit_callbacks, fmt=fmt)
    progress = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and '"rows_written" = ' in q["sql"]
    ]
    if fmt != "csv":  # CSV streams through COPY: progress on a side connection
        assert len(progress) >= 4  # the estimate, then one per batch of one row
    assert run["progress"] == {"rows_written": 3, "rows_estimated": 3, "percent": 100.0}
    assert (
        Event.objects.filter(type="reporting.report_run.succeeded", data__object__id=run["id"]).count() == 1
    )


def test_a_copy_reports_progress_on_a_side_connection(
    api, closed, monkeypatch, django_capture_on_commit_callbacks
):
    """CSV is COPY … TO STDOUT, which holds the worker's connection: progress goes through a
    second connection while it streams (here recorded: the test's rows are not committed)."""
    import contextlib

    from apps.reporting.services import report_runs

    seen = []

    @contextlib.contextmanager
    def recorder(run_pk):
        yield seen.append

    monkeypatch.setattr(sql_export, "BATCH", 1)
    monkeypatch.setattr(report_runs, "copy_progress", recorder)
    run = _run(api, django_capture_on_commit_callbacks, fmt="csv")
    assert seen == [1, 2, 3]
    assert run["progress"]["rows_written"] == 3


def test_parquet_is_written_a_row_group_at_a_time_from_the_cursor(
    api, closed, monkeypatch, django_capture_on_commit_callbacks
):
    """Batches of 1 row from the server-side cursor, row groups of 2: the file has 2 row groups
    (2 + 1 rows) and the writer never held more than one row group of batches."""
    held = []

    class Recording(pq.ParquetWriter):
        def write_table(self, table, row_group_size=None):
            held.append(table.num_rows)
            super().write_table(table, row_group_size=row_group_size)

    monkeypatch.setattr(sql_export, "BATCH", 1)
    monkeypatch.setattr(sql_export, "ROW_GROUP", 2)
    monkeypatch.setattr(pq, "ParquetWriter", Recording)
    run = _run(api, django_capture_on_commit_callbacks, fmt="parquet")
    assert run["status"] == "succeeded", run["error"]
    parquet = pq.ParquetFile(io.BytesIO(_download(api, run)))
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.metadata.num_row_groups)] == [2, 1]
    assert held == [2, 1]
    meta = parquet.schema_arrow.metadata
    assert json.loads(meta[b"clearhouse.parameters"])["interval_start"] == int(DAY0.timestamp())


def test_a_failed_job_reports_its_error(api, closed, monkeypatch, django_capture_on_commit_callbacks):
    rtype = report_types.report_type_get("refunds.itemized.1")

    def broken(ctx):
        raise RuntimeError("source unavailable")

    monkeypatch.setitem(report_types._REGISTRY, rtype.id, report_types.ReportType(
        **{**{f: getattr(rtype, f) for f in rtype.__dataclass_fields__}, "source": broken, "queryset_of": broken}))  # fmt: skip
    run = _run(api, django_capture_on_commit_callbacks, report_type="refunds.itemized.1")
    assert run["status"] == "failed"
    assert run["error"] == "RuntimeError: source unavailable"
    assert run["result"] is None
    assert Event.objects.filter(type="reporting.report_run.failed", data__object__id=run["id"]).exists()
    assert api.get(f"/v1/reporting/report_runs/{run['id']}/file?token=x").status_code == 403


def test_file_links_expire_and_are_bound_to_the_merchant(
    api, api_other, closed, other_merchant, django_capture_on_commit_callbacks
):
    run = _run(api, django_capture_on_commit_callbacks)
    url = run["result"]["url"]
    assert api_other.get(url).status_code == 404  # another merchant's key on this run's link
    other_run = ReportRun.objects.create(merchant=other_merchant, report_type="payments.itemized.1",
                                         parameters={}, parameters_hash="x")  # fmt: skip
    forged = url.replace(run["id"], other_run.public_id, 1)
    assert api_other.get(forged).json()["error"]["code"] == "report_file_link_invalid"
    no_token = api.get(url.split("?")[0])
    assert (no_token.status_code, no_token.json()["error"]["code"]) == (403, "report_file_link_invalid")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        expired = api.get(url)
    assert (expired.status_code, expired.json()["error"]["code"]) == (403, "report_file_link_expired")
    fresh = api.get(f"/v1/reporting/report_runs/{run['id']}").json()["result"]["url"]
    assert api.get(fresh).status_code == 200


def test_report_runs_are_tenant_scoped(api, api_other, closed, django_capture_on_commit_callbacks):
    run = _run(api, django_capture_on_commit_callbacks)
    assert api_other.get(f"/v1/reporting/report_runs/{run['id']}").status_code == 404
    assert api_other.get("/v1/reporting/report_runs").json()["data"] == []
    assert [r["id"] for r in api.get("/v1/reporting/report_runs").json()["data"]] == [run["id"]]


def test_every_report_type_runs_and_is_listed_with_its_version_and_range(
    api, closed, merchant, django_capture_on_commit_callbacks
):
    listed = api.get("/v1/reporting/report_types").json()["data"]
    assert {t["id"] for t in listed} == {t.id for t in all_types()}
    summary = next(t for t in listed if t["id"] == "balance.summary.1")
    assert summary["version"] == 1 and summary["data_available_start"] == int(
        (DAY0 - timedelta(days=1)).timestamp()
    )
    counts = {}
    for rtype in all_types():
        run = _run(api, django_capture_on_commit_callbacks, report_type=rtype.id, fmt="parquet")
        assert run["status"] == "succeeded", (rtype.id, run["error"])
        counts[rtype.id] = pq.read_table(io.BytesIO(_download(api, run))).num_rows
    assert counts["payment_attempts.itemized.1"] == 3
    assert counts["refunds.itemized.1"] == 1
    assert counts["balance_transactions.itemized.1"] >= 3
    assert counts["balance.summary.1"] >= 4  # per currency: start, activity, end


def test_balance_summary_bridges_start_to_end(api, closed, django_capture_on_commit_callbacks):
    run = _run(api, django_capture_on_commit_callbacks, report_type="balance.summary.1", fmt="jsonl")
    rows = [json.loads(line) for line in _download(api, run).decode().splitlines()]
    for currency in {r["currency"] for r in rows}:
        mine = [r for r in rows if r["currency"] == currency]
        start = next(r["net_amount"] for r in mine if r["category"] == "starting_balance")
        end = next(r["net_amount"] for r in mine if r["category"] == "ending_balance")
        moved = sum(
            r["net_amount"] for r in mine if r["category"] not in ("starting_balance", "ending_balance")
        )
        assert start + moved == end


def test_consecutive_daily_runs_partition_the_data_across_the_dst_day(
    api, payments, merchant, django_capture_on_commit_callbacks
):
    berlin = ZoneInfo("Europe/Berlin")
    backdate(merchant, datetime(2026, 3, 1, tzinfo=UTC))
    intents = list(PaymentIntent.objects.filter(merchant=merchant).order_by("id"))
    # Around the spring-forward night of 29 March 2026 (02:00 → 03:00 in Berlin).
    moments = [datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),  # 23:59:59 on the 28th, Berlin
               datetime(2026, 3, 28, 23, 0, 0, tzinfo=UTC),    # 00:00 on the 29th: the start is inclusive
               datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)]  # 23:59:59 on the 29th (CEST)  # fmt: skip
    for intent, moment in zip(intents, moments, strict=True):
        PaymentIntent.objects.filter(pk=intent.pk).update(created_at=moment)
    ids = []
    days = [datetime(2026, 3, d, tzinfo=berlin) for d in (28, 29, 30)]
    lengths = []
    for day, next_day in pairwise(days):
        start, end = int(day.timestamp()), int(next_day.timestamp())
        lengths.append((end - start) / 3600)
        run = _run(api, django_capture_on_commit_callbacks, fmt="csv", interval_start=start, interval_end=end,
                   timezone="Europe/Berlin", columns=["id", "created", "created_local", "amount"])  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(_download(api, run).decode())))
        assert all(start <= int(r["created"]) < end for r in rows)
        ids.append([r["id"] for r in rows])
    assert lengths == [24, 23]
    assert [len(day_ids) for day_ids in ids] == [1, 2]
    assert sorted(ids[0] + ids[1]) == sorted(i.public_id for i in intents)
    assert rows[-1]["created_local"] == "2026-03-29T23:59:59+02:00"


@pytest.mark.parametrize(
    "body, param",
    [
        ({"report_type": "payments.itemized.9"}, "report_type"),
        ({"format": "xlsx"}, "format"),
        (
            {"parameters": {"interval_start": 1764201600, "interval_end": 1764115200}},
            "parameters[interval_end]",
        ),
        ({"parameters": {"columns": ["id", "card_number"]}}, "parameters[columns]"),
        ({"parameters": {"timezone": "Europe/Atlantis"}}, "parameters[timezone]"),
        ({"parameters": {"interval_end": 4102444800}}, "parameters[interval_end]"),
        ({"parameters": {"interval_start": 946684800}}, "parameters[interval_start]"),
        ({"parameters": {"interval_start": "soon"}}, "parameters[interval_start]"),
        ({"parameters": {"payout": "po_1"}}, "parameters[payout]"),
        ({"parameters": {"currency": 12}}, "parameters[currency]"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(api, closed, body, param):
    parameters = {"interval_start": int(DAY0.timestamp()), "interval_end": int(DAY0.timestamp()) + 86400,
                  **body.pop("parameters", {})}  # fmt: skip
    payload = {"report_type": "payments.itemized.1", "format": "csv", "parameters": parameters, **body}
    response = api.post("/v1/reporting/report_runs", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["param"] == param
    assert not ReportRun.objects.exists()


def test_charge_rows_are_the_attempt_grain(api, closed, django_capture_on_commit_callbacks):
    run = _run(
        api, django_capture_on_commit_callbacks, report_type="payment_attempts.itemized.1", fmt="jsonl"
    )
    rows = [json.loads(line) for line in _download(api, run).decode().splitlines()]
    assert {r["id"] for r in rows} == set(Charge.objects.values_list("public_id", flat=True))
    assert {r["decline_code"] for r in rows} == {"", "insufficient_funds"}
