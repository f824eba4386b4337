"""Checkout.com's settlement report end to end: a live-mode merchant takes a card payment through
its Checkout.com account (recorded /payments answer), then ``POST /v1/connectors/{id}/run_settlement``
reads that day's Financial Actions report through the Reports API (recorded listing and CSV) and
hands it to reconciliation, which matches the payment to its report line; and the parser on its
own: rows per breakdown folded into one line per action, fees rounded once, a malformed report
refused with its row."""

import datetime as dt
import re

import pytest
import responses

from apps.connectors.adapters.checkout.settlement import (
    ReportFormatError,
    day_report_files,
    parse_financial_actions,
)
from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.reconciliation.models import LedgerItem, ReconciliationRun
from tests.intents.helpers import ACTOR, make_card

from .conformance import DAY_FILE, DAY_REPORT, REPORTS_PAGE, _payment, _report, financial_actions_csv

LIVE_KEY = "sk_q2gtjbe3wbkehmhabq5bfxxrwem"
CHANNEL = "pc_q4dbxom5jbgudnjzjpz7j2z6uq"
HOST = "https://a1b2c3d4.api.checkout.com"
PAYMENT = "pay_y3oqhf46pyzuxjbcn2giaqnb44"  # the report's first capture: 10.00 EUR, fees 0.15


@pytest.fixture
def checkout_live(merchant, client_for):
    account = connector_create(merchant=merchant, livemode=True, type="checkout", label="Checkout.com EU",
                               actor=ACTOR, credentials={"secret_key": LIVE_KEY, "processing_channel_id": CHANNEL},
                               config={"environment_subdomain": "a1b2c3d4"})  # fmt: skip
    live = client_for(merchant, livemode=True)
    rules = live.post("/v1/routing/rule_sets", {"name": "cko", "activate": True, "rules": [
        {"name": "everything", "connectors": [account.public_id]}]}, format="json")  # fmt: skip
    assert rules.status_code == 200, rules.content
    return account, live


@responses.activate
def test_a_live_checkout_payment_is_matched_by_the_settlement_run_of_its_day(
    checkout_live, merchant, time_machine, django_capture_on_commit_callbacks
):
    account, live = checkout_live
    time_machine.move_to("2026-12-01T10:11:05Z", tick=False)
    sent = []

    def pay(request):
        sent.append(request.headers["Authorization"])
        return (
            201,
            {"Content-Type": "application/json"},
            __import__("json").dumps(
                _payment(PAYMENT, status="Authorized", reference=request.headers["Cko-Idempotency-Key"])
            ),
        )

    responses.add_callback(responses.POST, f"{HOST}/payments", callback=pay)
    pm = make_card(merchant, "4242424242424242", livemode=True)
    paid = live.post("/v1/payment_intents", {"amount": 1000, "currency": "eur", "payment_method": pm.public_id,
                                             "confirm": True}, format="json")  # fmt: skip
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.content
    charge = Charge.objects.get(public_id=paid.json()["latest_charge"])
    assert (charge.connector_id, charge.gateway_reference) == (account.pk, PAYMENT)
    assert sent == [f"Bearer {LIVE_KEY}"]

    # The next morning the day's report is there (live host, the account's subdomain).
    time_machine.move_to("2026-12-02T09:00:00Z", tick=False)
    responses.add(responses.GET, re.compile(re.escape(f"{HOST}/reports?") + ".*"), json=REPORTS_PAGE)
    responses.add(responses.GET, f"{HOST}/reports/{DAY_REPORT}/files/{DAY_FILE}",
                  body=financial_actions_csv(), content_type="text/csv")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True), django_capture_on_commit_callbacks(execute=True):
        run = live.post(
            f"/v1/connectors/{account.public_id}/run_settlement", {"date": "2026-12-01"}, format="json"
        )
    assert run.status_code == 200, run.content
    body = run.json()
    assert body["lines"] == 6 and body["handed_over"] is True
    assert body["totals"] == {"eur": {"amount": 2545, "fee": 42}, "kwd": {"amount": 12340, "fee": 123}}
    assert len(body["reconciliation"]["files"]) == 1 and body["reconciliation"]["failed"] == []
    [rec_id] = body["reconciliation"]["runs"]
    rec = ReconciliationRun.objects.get(public_id=rec_id)
    assert rec.status == "completed" and rec.merchant == merchant and rec.connector_code == "checkout"
    item = LedgerItem.objects.get(gateway_reference=PAYMENT, connector_code="checkout", livemode=True)
    assert (item.status, item.match_kind, item.amount, item.currency) == ("matched", "auto", 1000, "EUR")
    assert item.line.fee == 15 and item.line.merchant_reference == "ch_conf_approve"
    # The authorization's gateway fee (a fee line) is in the file as an adjustment, not refused.
    assert item.line.file.lines.filter(record_type="adjustment", gross=-5).exists()
    # Every Reports API call carried the live key, and only the day's file was downloaded.
    assert all(c.request.headers["Authorization"] == f"Bearer {LIVE_KEY}" for c in responses.calls[1:])
    downloads = {c.request.url for c in responses.calls if "/files/" in c.request.url}
    assert downloads == {f"{HOST}/reports/{DAY_REPORT}/files/{DAY_FILE}"}


@responses.activate
def test_a_refused_report_request_answers_502_and_no_report_yet_means_no_lines(checkout_live):
    account, live = checkout_live
    listing = re.compile(re.escape(f"{HOST}/reports?") + ".*")
    responses.add(
        responses.GET, listing, status=401, body="", headers={"Cko-Request-Id": "0HL80RJLS76I7:00000002"}
    )
    refused = live.post(
        f"/v1/connectors/{account.public_id}/run_settlement", {"date": "2026-12-01"}, format="json"
    )
    assert refused.status_code == 502 and refused.json()["error"]["code"] == "connector_provider_unavailable"

    responses.reset()
    responses.add(responses.GET, listing, json={"count": 0, "limit": 100, "data": [], "_links": {}})
    early = live.post(
        f"/v1/connectors/{account.public_id}/run_settlement", {"date": "2026-12-03"}, format="json"
    )
    assert early.status_code == 200 and early.json()["lines"] == 0, early.content


def test_the_parser_folds_breakdown_rows_into_one_line_per_action():
    lines = {
        (line.type, line.gateway_reference): line for line in parse_financial_actions(financial_actions_csv())
    }
    capture = lines[("capture", PAYMENT)]
    assert (capture.amount, capture.fee, capture.currency, capture.reference) == (
        1000,
        15,
        "EUR",
        "ch_conf_approve",
    )
    assert capture.settled_on == dt.date(2026, 12, 1)
    # Processed in GBP, held in EUR: the holding currency's amounts; 0.2175001 of fees → 0.22.
    fx = lines[("capture", "pay_mbabizu24mvu3mela5njyhpit4")]
    assert (fx.amount, fx.fee, fx.currency) == (2550, 22, "EUR")
    refund = lines[("refund", "act_2f56bhkau5dubequbv5aa6w4qi")]
    assert (refund.amount, refund.fee, refund.reference) == (-400, 5, "re_conf_partial_refund")
    assert (
        lines[("fee", "pay_h2f3frmurpsuhgymdrwo6mkyvq")].amount,
        lines[("dispute", "pay_4exvlyjezy5efawv6agvq5cfpa")].amount,
    ) == (-5, -600)
    kwd = lines[("capture", "pay_ijl4ewqg5hlu5b3k2vgvqpbx2e")]
    assert (kwd.amount, kwd.fee, kwd.currency) == (12340, 123, "KWD")  # three decimals
    assert not any(line.gateway_reference.startswith("act_3q") for line in lines.values())  # the payout row


def test_a_report_the_parser_cannot_read_exactly_is_refused_with_its_row():
    text = financial_actions_csv().replace(",10.00000000,Capture,", ",10.005,Capture,", 1)
    with pytest.raises(ReportFormatError, match=r"row 2: 10.005 has more decimals than EUR has"):
        parse_financial_actions(text)
    with pytest.raises(ReportFormatError, match="no column Breakdown Type"):
        parse_financial_actions(financial_actions_csv().replace("Breakdown Type", "Kind", 1))


def test_the_days_report_is_the_daily_one_whose_local_day_is_that_date():
    def day(report_id, **kwargs):
        return _report(
            report_id, "file_" + report_id[4:], type="FinancialActions", filename="f.csv", **kwargs
        )

    reports = [
        day("rpt_losangeles", day="2026-12-01", next_day="2026-12-02", tz_hours=-8),  # 08:00Z → 08:00Z
        day("rpt_dubai", day="2026-12-01", next_day="2026-12-02", tz_hours=4),  # 11-30 20:00Z → 12-01 20:00Z
        day("rpt_dubai_before", day="2026-11-30", next_day="2026-12-01", tz_hours=4),
        day("rpt_weekly", day="2026-11-28", next_day="2026-12-05", tz_hours=0),
        {**day("rpt_payout", day="2026-12-01", next_day="2026-12-02"), "type": "FinancialActionsByPayoutId"},
    ]
    assert [r for r, _ in day_report_files(reports, dt.date(2026, 12, 1))] == ["rpt_losangeles", "rpt_dubai"]
    assert day_report_files(reports, dt.date(2026, 11, 30)) == [("rpt_dubai_before", "file_dubai_before")]


@responses.activate
def test_the_report_listing_is_followed_page_by_page_and_lines_take_the_reports_day():
    from apps.connectors.adapters.checkout.adapter import CheckoutAdapter

    adapter = CheckoutAdapter(credentials={"secret_key": LIVE_KEY, "processing_channel_id": CHANNEL}, livemode=True,
                              config={"environment_subdomain": "a1b2c3d4", "entity_id": "ent_znj4ih5kn4fuxiaquoudv5mvwy"})  # fmt: skip
    token = "NaZMwq3KbreYcXg0dg752Dg8ps4orkwVK9pj9WFzkXk8rPoR32Wf74QWX0EkZ"
    first = {"count": 1, "limit": 100, "data": REPORTS_PAGE["data"][1:2], "_links": {
        "next": {"href": f"{HOST}/reports?pagination_token={token}&created_after=2026-12-01T00:00:00&limit=100"}}}  # fmt: skip
    second = {"count": 1, "limit": 100, "data": REPORTS_PAGE["data"][:1], "_links": {}}
    listing = re.compile(re.escape(f"{HOST}/reports?") + ".*")
    responses.add(responses.GET, listing, json=first)
    responses.add(responses.GET, listing, json=second)
    responses.add(responses.GET, f"{HOST}/reports/{DAY_REPORT}/files/{DAY_FILE}",
                  body=financial_actions_csv(), content_type="text/csv")  # fmt: skip
    lines = adapter.fetch_settlement_report(date=dt.date(2026, 12, 1))
    assert len(lines) == 6 and {line.settled_on for line in lines} == {dt.date(2026, 12, 1)}
    queries = [c.request.url for c in responses.calls if "/reports?" in c.request.url]
    assert (
        len(queries) == 2
        and "pagination_token" not in queries[0]
        and f"pagination_token={token}" in queries[1]
    )
    assert all("entity_id=ent_znj4ih5kn4fuxiaquoudv5mvwy" in url for url in queries)
