"""Every object the API answers has a real component in /v1/schema, and the components cannot
drift from `payloads.py` silently.

One scenario makes real rows through the API (intents succeeded, requires_action by 3DS, by redirect
and by QR code, declined, awaiting capture, canceled; refunds, one awaiting approval; a dispute with
staged evidence; a bank account, a payout; the ledger lines they leave). Then each row's payload,
built by the same function the API uses and rendered as the API renders it, is validated with
`jsonschema` against its component in the generated document, with every documented object closed
(`additionalProperties: false` unless the schema says otherwise): a key added to a payload without
the schema, a key the schema requires that the payload lacks, a wrong type or a `null` the schema
doesn't allow fails here."""

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from apps.connectors import observe
from apps.connectors.models import Connector
from apps.connectors.payloads import connector_to_dict, provider_to_dict
from apps.connectors.registry import adapter_classes
from apps.devtools.models import AccessReview, BulkJob, Simulation, TestClock
from apps.devtools.payloads import bulk_job_to_dict, simulation_to_dict
from apps.devtools.payloads import test_clock_to_dict as clock_payload  # not collected as a test
from apps.disputes.models import Dispute
from apps.disputes.payloads import dispute_to_dict
from apps.files.models import File, FileLink
from apps.files.payloads import file_link_to_dict, file_to_dict
from apps.intents.models import Charge, PaymentIntent
from apps.intents.payloads import (
    charge_to_dict,
    next_action_to_dict,
    payment_intent_public_dict,
    payment_intent_to_dict,
)
from apps.ledger.models import BalanceTransaction
from apps.ledger.payloads import balance_payload, balance_transaction_payload
from apps.merchants.models import MerchantSettings
from apps.payouts.models import BankAccount, Payout, PayoutSchedule
from apps.payouts.payloads import bank_account_payload, payout_payload, payout_schedule_payload
from apps.reconciliation.models import Discrepancy as RecDiscrepancy
from apps.reconciliation.models import ReconciliationRun, SettlementBatch, SettlementSync
from apps.reconciliation.payloads import (
    discrepancy_to_dict,
    reconciliation_to_dict,
    settlement_sync_to_dict,
    settlement_to_dict,
)
from apps.reconciliation.selectors import describe_diffs
from apps.refunds.models import Refund
from apps.refunds.payloads import refund_to_dict
from apps.reporting.models import ReportRun, ReportSchedule
from apps.reporting.payloads import report_run_payload, report_schedule_payload
from apps.risk.models import Review, RiskDecision, Rule, ValueList, ValueListItem
from apps.risk.payloads import (
    decision_to_dict,
    review_to_dict,
    rule_to_dict,
    value_list_item_to_dict,
    value_list_to_dict,
)
from apps.routing.models import RuleSet
from apps.routing.payloads import rule_set_to_dict
from tests.disputes.conftest import connector_of
from tests.files.conftest import PDF, files_in_tmp  # noqa: F401 (fixture)
from tests.files.test_api import upload
from tests.intents.helpers import make_card, make_customer, pay
from tests.ledger.factories import fund
from tests.reconciliation.factories import charge_paid, sandbox_fee_rule, today
from tests.reporting.conftest import backdate
from tests.webhooks.test_api_inbound import post_callback

RETURN_URL = "https://shop.example/return"
US_BANK = {"country": "US", "currency": "usd", "routing_number": "110000000",
           "account_number": "000123456789", "account_holder_name": "Acme"}  # fmt: skip


@pytest.fixture(scope="module")
def document():
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def _as_json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable` becomes a `null` alternative, and every object that
    lists its properties is closed unless it states `additionalProperties` itself."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_json_schema(value) for key, value in node.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _validator(document, component: str):
    root = {
        "$ref": f"#/components/schemas/{component}",
        "components": _as_json_schema(document["components"]),
    }
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root)


def _rendered(payload: dict):
    return json.loads(JSONRenderer().render(payload))  # what the API puts on the wire (Decimals, …)


def _violations(document, component: str, payloads: list[dict]) -> list[str]:
    validator = _validator(document, component)
    return [
        f"{payload.get('id', payload.get('object'))}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for payload in payloads
        for error in validator.iter_errors(_rendered(payload))
    ]


@pytest.fixture
def scenario(api, client_for, merchant, files_in_tmp, django_capture_on_commit_callbacks):  # noqa: F811 (the fixture imported above)
    """Real rows in every state the payloads distinguish, made through the API."""
    with django_capture_on_commit_callbacks(execute=True):
        for action, predicate in (("review", ":amount: > 4500"), ("block", ":amount: > 9000")):
            rule = api.post("/v1/risk/rules", {"action": action, "predicate": predicate}, format="json")
            assert rule.status_code == 200, rule.json()
    value_list = api.post("/v1/radar/value_lists", {"alias": "blocked_emails", "name": "Blocked", "item_type": "email"},
                          format="json").json()  # fmt: skip
    item = api.post("/v1/radar/value_list_items", {"value_list": value_list["id"], "value": "fraud@example.com"},
                    format="json")  # fmt: skip
    assert item.status_code == 200, item.json()
    settings_ = MerchantSettings.objects.get(merchant=merchant)
    settings_.allowed_payment_method_types = [*settings_.allowed_payment_method_types, "wechat_pay", "ideal"]
    settings_.refund_approval_threshold = 1_000
    settings_.save()
    customer = make_customer(merchant)

    succeeded = pay(
        api, make_card(merchant, customer=customer), customer=customer.public_id,
        metadata={"order_id": "42"}, description="order 42", receipt_email="buyer@example.com",
        split=[{"account_type": "SystemOwner", "account_id": "system-1", "percentage_bp": 1000},
               {"account_type": "ServiceOwner", "account_id": "service-1", "percentage_bp": 9000}],
    ).json()  # fmt: skip
    assert succeeded["status"] == "succeeded", succeeded
    # the merchant's sandbox account exists from its first payment: route the others by rules
    sandbox = connector_of(merchant).public_id
    rules = [
        {"name": "big_usd", "conditions": {"currency": ["USD"], "amount_gte": 100_000, "metadata": {"vip": None}},
         "connectors": [sandbox]},
        {"name": "usd_split", "conditions": {"currency": ["USD"], "card_brand": ["visa"]},
         "split": [{"connector": sandbox, "weight": 100}]},
    ]  # fmt: skip
    rule_set = api.post("/v1/routing/rule_sets", {"name": "Main", "rules": rules, "default_fallback": [sandbox]},
                        format="json").json()  # fmt: skip
    assert (
        api.post(
            f"/v1/routing/rule_sets/{rule_set['id']}/activate", {"version": 1}, format="json"
        ).status_code
        == 200
    )
    evaluated = api.post("/v1/routing/evaluate", {"amount": 1000, "currency": "usd"}, format="json")
    assert evaluated.status_code == 200, evaluated.json()
    three_ds = pay(api, make_card(merchant, "4000002760003184"), return_url=RETURN_URL).json()
    assert three_ds["status"] == "requires_action", three_ds
    challenged = pay(api, make_card(merchant, "4000000000003220"), return_url=RETURN_URL).json()
    completed = api.post(f"/v1/payment_intents/{challenged['id']}/3ds/complete", {"result": "authenticated"},
                         format="json").json()  # fmt: skip
    assert completed["status"] == "succeeded", completed
    assert pay(api, make_card(merchant, "4000000000009235")).status_code in (200, 402)  # elevated risk
    assert (
        pay(api, make_card(merchant), amount=5_000).json()["status"] == "requires_capture"
    )  # held in review
    assert pay(api, make_card(merchant), amount=9_500).status_code == 402  # blocked
    declined = pay(api, make_card(merchant, "4000000000000002"))
    assert declined.status_code == 402, declined.json()
    manual = pay(api, make_card(merchant), capture_method="manual").json()
    assert manual["status"] == "requires_capture", manual
    to_cancel = pay(api, make_card(merchant), capture_method="manual").json()
    canceled = api.post(f"/v1/payment_intents/{to_cancel['id']}/cancel", {"cancellation_reason": "abandoned"},
                        format="json").json()  # fmt: skip
    assert canceled["status"] == "canceled", canceled
    for pm_type in ("ideal", "wechat_pay"):
        redirect = api.post(
            "/v1/payment_intents",
            {"amount": 1234, "currency": "eur", "payment_method_types": [pm_type],
             "payment_method_data": {"type": pm_type}, "confirm": True, "return_url": RETURN_URL},
            format="json",
        ).json()  # fmt: skip
        assert redirect["status"] == "requires_action", redirect
    assert (
        api.post("/v1/payment_intents", {"amount": 500, "currency": "usd"}, format="json").status_code == 200
    )

    refund = api.post("/v1/refunds", {"payment_intent": succeeded["id"], "amount": 500, "reason": "duplicate",
                                      "metadata": {"ticket": "7"}}, format="json")  # fmt: skip
    assert refund.status_code == 200, refund.json()
    held = api.post("/v1/refunds", {"payment_intent": succeeded["id"], "amount": 1_400}, format="json").json()
    assert held["status"] == "requires_approval", held

    disputed = pay(api, make_card(merchant, "4000000000000259")).json()
    charge = Charge.objects.get(public_id=disputed["latest_charge"])
    from apps.connectors.sandbox import SandboxAdapter

    [(raw, headers)] = SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference)
    assert post_callback(connector_of(merchant).public_id, raw, headers).status_code == 200
    dispute = Dispute.objects.get(charge=charge)
    receipt = upload(api, PDF, name="receipt.pdf").json()["id"]
    assert api.post("/v1/file_links", {"file": receipt}, format="json").status_code == 200
    staged = api.post(f"/v1/disputes/{dispute.public_id}",
                      {"evidence": {"customer_name": "Ada", "uncategorized_text": "Delivered.", "receipt": receipt}},
                      format="json")  # fmt: skip
    assert staged.status_code == 200, staged.json()

    fund(merchant, 10_000)
    assert api.post("/v1/bank_accounts", US_BANK, format="json").status_code == 200
    payout = api.post(
        "/v1/payouts", {"amount": 4_000, "currency": "usd", "description": "weekly"}, format="json"
    )
    assert payout.status_code == 200, payout.json()
    assert api.get("/v1/payout_schedule").status_code == 200
    tested = api.post(f"/v1/connectors/{connector_of(merchant).public_id}/test", {}, format="json")
    assert tested.status_code == 200, tested.json()
    # last: payments refer to the sandbox account, so deleting it disables it
    removed = api.delete(f"/v1/connectors/{connector_of(merchant).public_id}")
    assert removed.status_code == 200 and removed.json()["deleted"] is False, removed.json()
    return {"publishable": client_for(merchant, kind="publishable"), "decision": evaluated.json(),
            "deleted_connector": removed.json()}  # fmt: skip


def test_every_payload_matches_its_component(document, scenario, merchant):
    intents = list(PaymentIntent.objects.filter(merchant=merchant))
    assert {i.status for i in intents} >= {
        "succeeded", "requires_action", "requires_payment_method", "requires_capture", "canceled",
    }  # fmt: skip
    assert any(i.last_payment_error for i in intents) and any(i.split for i in intents)
    assert {i.next_action["type"] for i in intents if i.next_action} == {"redirect_to_url", "display_qr_code"}
    charges = list(Charge.objects.filter(merchant=merchant))
    assert any(c.routing and c.routing["strategy"] == "volume_split" for c in charges)
    assert {c.status for c in charges} >= {"succeeded", "failed", "requires_action", "authorized", "canceled"}
    refunds = list(Refund.objects.filter(merchant=merchant))
    assert {r.status for r in refunds} >= {"succeeded", "requires_approval"}
    disputes = list(Dispute.objects.filter(merchant=merchant))
    assert disputes and all(d.evidence for d in disputes)
    connectors = list(Connector.objects.filter(merchant=merchant))
    assert any(c.last_test for c in connectors)
    transactions = list(BalanceTransaction.objects.filter(merchant=merchant))
    assert {t.type for t in transactions} >= {"charge", "refund", "dispute", "payout"}

    cases = {
        "PaymentIntentOutput": [payment_intent_to_dict(i) for i in intents],
        "PaymentIntentClientOutput": [payment_intent_public_dict(i) for i in intents],
        "PaymentIntentNextActionOutput": [next_action_to_dict(i) for i in intents],
        "ChargeOutput": [charge_to_dict(c) for c in charges],
        "RefundOutput": [refund_to_dict(r) for r in refunds],
        "DisputeOutput": [dispute_to_dict(d) for d in disputes],
        "BalanceTransactionOutput": [balance_transaction_payload(t) for t in transactions],
        "BalanceOutput": [balance_payload(merchant=merchant, livemode=False)],
        "BankAccountOutput": [bank_account_payload(b) for b in BankAccount.objects.filter(merchant=merchant)],
        "PayoutOutput": [payout_payload(p) for p in Payout.objects.filter(merchant=merchant)],
        "PayoutScheduleOutput": [payout_schedule_payload(s) for s in PayoutSchedule.objects.filter(merchant=merchant)],
        "FileOutput": [file_to_dict(f) for f in File.objects.filter(merchant=merchant)],
        "FileLinkOutput": [file_link_to_dict(f) for f in FileLink.objects.filter(merchant=merchant)],
        "ConnectorOutput": [connector_to_dict(c) for c in connectors],
        "ProviderOutput": [provider_to_dict(cls) for cls in adapter_classes()],
        "ConnectorCallLogEntryOutput": [row for c in connectors for row in observe.call_log(c.public_id)],
        "RiskDecisionOutput": [decision_to_dict(d) for d in RiskDecision.objects.filter(merchant=merchant)],
        "RiskRuleOutput": [rule_to_dict(r, r.rule_set) for r in Rule.objects.filter(rule_set__merchant=merchant)],
        "ValueListOutput": [value_list_to_dict(v, items=list(v.items.all())) for v in ValueList.objects.filter(merchant=merchant)],
        "ValueListItemOutput": [value_list_item_to_dict(i) for i in ValueListItem.objects.filter(merchant=merchant)],
        "ReviewOutput": [review_to_dict(r) for r in Review.objects.filter(merchant=merchant)],
        "RoutingRuleSetOutput": [rule_set_to_dict(r) for r in RuleSet.objects.filter(merchant=merchant)],
        "RoutingDecisionOutput": [scenario["decision"]],
        "DeletedConnectorOutput": [scenario["deleted_connector"]],
    }  # fmt: skip
    violations = {}
    for component, payloads in cases.items():
        assert payloads, component
        found = _violations(document, component, payloads)
        if found:
            violations[component] = found
    assert violations == {}

    # The check bites: an extra key, a missing key and a wrong type are each reported.
    body = cases["RefundOutput"][0]
    assert _violations(document, "RefundOutput", [body]) == []
    assert _violations(document, "RefundOutput", [{**body, "new_field": 1}])
    assert _violations(document, "RefundOutput", [{k: v for k, v in body.items() if k != "charge"}])
    assert _violations(
        document, "RefundOutput", [{**body, "approval": {**body["approval"], "required": None}}]
    )

    # Retrieve and confirm answer the full intent to a secret key and the client-side subset to a
    # publishable key: each answer matches exactly one branch of the documented `oneOf`.
    intent = PaymentIntent.objects.filter(merchant=merchant, status="requires_action").first()
    secret_view = payment_intent_to_dict(intent)
    client_view = scenario["publishable"].get(
        f"/v1/payment_intents/{intent.public_id}", {"client_secret": intent.client_secret}
    )
    assert client_view.status_code == 200
    retrieve = document["paths"]["/v1/payment_intents/{intent_id}"]["get"]["responses"]["200"]
    root = {
        **retrieve["content"]["application/json"]["schema"],
        "components": _as_json_schema(document["components"]),
    }
    validator = jsonschema.Draft202012Validator(root)
    for body in (secret_view, client_view.json()):
        assert list(validator.iter_errors(_rendered(body))) == []
    assert "oneOf" in root or "oneOf" in document["components"]["schemas"][root["$ref"].rsplit("/", 1)[1]]


def test_reconciliation_payloads_match_their_components(
    document, api, merchant, django_capture_on_commit_callbacks
):
    """A day of payments with an amount fault, synced and reconciled through the API; a merchant's
    own acquirer file uploaded; one discrepancy resolved, so both an open and a resolved one exist."""
    sandbox_fee_rule()
    charge_paid(api, merchant, 2000)
    charge_paid(api, merchant, 2092)  # the sandbox acquirer settles 20.89: an amount_under discrepancy
    interval = {
        "interval_start": today().isoformat(),
        "interval_end": (today() + dt.timedelta(days=1)).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        sync = api.post("/v1/settlements/sync", interval, format="json")
    assert sync.status_code == 202, sync.json()
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/v1/reconciliations", interval, format="json")
    assert created.status_code == 202, created.json()
    sample = (
        Path(__file__).parents[1] / "reconciliation" / "samples" / "stripe_itemized_payout_reconciliation.csv"
    )
    uploaded = api.post(
        "/v1/settlements/upload",
        {"file": SimpleUploadedFile("po.csv", sample.read_bytes(), "text/csv"), "format": "stripe_payout_reconciliation"},
        format="multipart",
    )  # fmt: skip
    assert uploaded.status_code == 200, uploaded.json()
    [open_one] = api.get(f"/v1/reconciliations/{created.json()['id']}/discrepancies").json()["data"]
    assert open_one["ledger"] and open_one["settlement_line"], open_one
    resolved = api.post(
        f"/v1/reconciliations/{created.json()['id']}/discrepancies/{open_one['id']}/resolve",
        {"action": "ignore", "note": "known rounding at the acquirer"}, format="json",
    )  # fmt: skip
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "ignored", resolved.json()
    settlements = api.get("/v1/settlements").json()["data"]
    assert settlements
    details = [api.get(f"/v1/settlements/{s['id']}").json() for s in settlements]
    assert all(d["lines"]["data"] for d in details)

    batches = SettlementBatch.objects.filter(merchant=merchant)
    cases = {
        "SettlementOutput": [*settlements, *details, *(settlement_to_dict(b) for b in batches)],
        "SettlementSyncOutput": [sync.json(), *(settlement_sync_to_dict(j) for j in SettlementSync.objects.filter(merchant=merchant))],
        "SettlementFileOutput": [uploaded.json()],
        "ReconciliationOutput": [created.json(), *(reconciliation_to_dict(r) for r in ReconciliationRun.objects.filter(merchant=merchant))],
        "DiscrepancyOutput": [open_one, resolved.json(),
                              *(discrepancy_to_dict(d, describe_diffs) for d in RecDiscrepancy.objects.filter(merchant=merchant))],
    }  # fmt: skip
    assert {r["status"] for r in cases["ReconciliationOutput"]} >= {"queued", "completed"}
    violations = {c: found for c, payloads in cases.items() if (found := _violations(document, c, payloads))}
    assert violations == {}
    body = cases["DiscrepancyOutput"][1]
    assert _violations(document, "DiscrepancyOutput", [{**body, "resolution": "made_up"}])
    assert _violations(
        document, "SettlementOutput", [{**details[0], "lines": {**details[0]["lines"], "url": "/x"}}]
    )


def test_reporting_payloads_match_their_components(document, api, merchant, settings, tmp_path,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    """Payments on a closed day in the past; a report run of it twice (the second's manifest names
    the first), one of another format; a schedule made and deleted; the metrics (latency percentiles
    included) and the settlement report of that day."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ok = pay(api, make_card(merchant, "5555555555554444"), amount=2500).json()
    assert pay(api, make_card(merchant, "4000000000009995"), amount=900).status_code == 402
    pay(api, make_card(merchant), amount=1234, currency="eur")
    assert (
        api.post("/v1/refunds", {"payment_intent": ok["id"], "amount": 500}, format="json").status_code == 200
    )
    day0 = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    backdate(merchant, day0 + dt.timedelta(hours=10))
    parameters = {
        "interval_start": int(day0.timestamp()),
        "interval_end": int((day0 + dt.timedelta(days=1)).timestamp()),
    }
    runs = []
    for fmt in ("csv", "csv", "jsonl"):
        with django_capture_on_commit_callbacks(execute=True):
            created = api.post("/v1/reporting/report_runs",
                               {"report_type": "payments.itemized.1", "format": fmt, "parameters": parameters},
                               format="json")  # fmt: skip
        assert created.status_code == 200, created.json()
        runs += [created.json(), api.get(f"/v1/reporting/report_runs/{created.json()['id']}").json()]
    assert {r["status"] for r in runs} == {"pending", "succeeded"}
    assert any(r["manifest"] and r["manifest"]["previous_run"] for r in runs)
    schedule = api.post("/v1/reporting/report_schedules",
                        {"report_type": "payments.itemized.1", "frequency": "daily", "timezone": "Europe/Berlin"},
                        format="json")  # fmt: skip
    assert schedule.status_code == 200, schedule.json()
    schedules = [
        schedule.json(),
        *(report_schedule_payload(s) for s in ReportSchedule.objects.filter(merchant=merchant)),
    ]
    deleted = api.delete(f"/v1/reporting/report_schedules/{schedule.json()['id']}")
    assert deleted.status_code == 200, deleted.json()
    metrics = api.get("/v1/reporting/metrics", {
        "metrics": "payments_count,success_rate,decline_rate,refund_rate,authorization_latency_p50",
        "group_by": "currency", "granularity": "day", "timezone": "Europe/Berlin",
        "from": int(day0.timestamp()), "to": int((day0 + dt.timedelta(days=2)).timestamp()),
    })  # fmt: skip
    assert metrics.status_code == 200 and metrics.json()["data"], metrics.json()
    assert any(b["values"]["authorization_latency_p50"] is not None for b in metrics.json()["data"])
    settlement = api.get("/v1/reporting/settlement/2026-11-20", {"timezone": "Europe/Berlin"})
    assert settlement.status_code == 200 and settlement.json()["acquirers"], settlement.json()
    types = api.get("/v1/reporting/report_types").json()["data"]

    cases = {
        "ReportRunOutput": [*runs, *(report_run_payload(r) for r in ReportRun.objects.filter(merchant=merchant))],
        "ReportTypeOutput": [*types, api.get(f"/v1/reporting/report_types/{types[0]['id']}").json()],
        "ReportScheduleOutput": schedules,
        "DeletedReportScheduleOutput": [deleted.json()],
        "ReportingMetricsOutput": [metrics.json()],
        "SettlementReportOutput": [settlement.json()],
    }  # fmt: skip
    violations = {c: found for c, payloads in cases.items() if (found := _violations(document, c, payloads))}
    assert violations == {}
    succeeded = next(r for r in runs if r["result"])
    assert _violations(document, "ReportRunOutput", [{**succeeded, "status": "done"}])
    assert _violations(
        document, "ReportRunOutput", [{**succeeded, "result": {**succeeded["result"], "token": "x"}}]
    )


def test_devtools_payloads_match_their_components(
    document, api, merchant, django_capture_on_commit_callbacks
):
    """A bulk job of intents (some rows refused) and one of refunds; a test clock created, advanced
    (answered while advancing) and deleted; a simulation applied now and one scheduled; the faucet
    and its tokens (one a wallet's)."""
    pm = make_card(merchant).public_id
    with django_capture_on_commit_callbacks(execute=True):
        job = api.post("/v1/payment_intents/bulk", [{"amount": 1000, "currency": "usd", "payment_method": pm, "confirm": True},
                                                     {"amount": 2000, "currency": "eur"}, {"amount": -5, "currency": "usd"}],
                       format="json")  # fmt: skip
    assert job.status_code == 200, job.json()
    paid = pay(api, make_card(merchant), amount=5000).json()
    with django_capture_on_commit_callbacks(execute=True):
        refunds = api.post("/v1/refunds/bulk", [{"payment_intent": paid["id"], "amount": 100}, {"payment_intent": "pi_missing"}],
                           format="json")  # fmt: skip
    assert refunds.status_code == 200, refunds.json()
    jobs = [job.json(), refunds.json(), api.get(f"/v1/payment_intents/bulk/{job.json()['id']}").json(),
            *api.get("/v1/refunds/bulk").json()["data"]]  # fmt: skip
    assert {j["status"] for j in jobs} >= {"completed_with_errors"}

    start = int(dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC).timestamp())
    clock = api.post(
        "/v1/test_helpers/test_clocks", {"frozen_time": start, "name": "month"}, format="json"
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        advancing = api.post(f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": start + 86_400},
                             format="json").json()  # fmt: skip
    assert advancing["status"] == "advancing" and advancing["status_details"], advancing
    clocks = [clock, advancing, api.get(f"/v1/test_helpers/test_clocks/{clock['id']}").json(),
              *(clock_payload(c) for c in TestClock.objects.filter(merchant=merchant))]  # fmt: skip
    deleted_clock = api.delete(f"/v1/test_helpers/test_clocks/{clock['id']}")
    assert deleted_clock.status_code == 200, deleted_clock.json()

    target = pay(api, make_card(merchant), amount=3000).json()["id"]
    applied = api.post("/v1/test_helpers/simulate", {"type": "charge.dispute.created", "object": target,
                                                     "reason": "product_not_received"}, format="json")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        scheduled = api.post("/v1/test_helpers/simulate", {"type": "charge.dispute.created", "object": paid["id"],
                                                           "delay_ms": 60_000}, format="json")  # fmt: skip
    assert (applied.status_code, scheduled.status_code) == (200, 202), (applied.json(), scheduled.json())
    simulations = [applied.json(), scheduled.json(), api.get(f"/v1/test_helpers/simulations/{applied.json()['id']}").json(),
                   *(simulation_to_dict(s) for s in Simulation.objects.filter(merchant=merchant))]  # fmt: skip
    tokens = [api.post("/v1/test_helpers/faucet", body, format="json") for body in ({"card": "succeeds"},
                                                                                 {"card": "succeeds", "wallet": "apple_pay"})]  # fmt: skip
    assert [t.status_code for t in tokens] == [200, 200], [t.json() for t in tokens]
    assert tokens[1].json()["card"]["tokenization_method"] == "apple_pay"
    faucet = api.get("/v1/test_helpers/faucet")
    assert faucet.status_code == 200 and faucet.json()["data"] and faucet.json()["wallets"], faucet.json()

    cases = {
        "BulkJobOutput": [*jobs, *(bulk_job_to_dict(j) for j in BulkJob.objects.filter(merchant=merchant))],
        "TestClockOutput": clocks,
        "DeletedTestClockOutput": [deleted_clock.json()],
        "SimulationOutput": simulations,
        "FaucetCardListOutput": [faucet.json()],
        "TokenOutput": [t.json() for t in tokens],
    }  # fmt: skip
    violations = {c: found for c, payloads in cases.items() if (found := _violations(document, c, payloads))}
    assert violations == {}
    assert _violations(
        document, "BulkJobOutput", [{**jobs[0], "counts": {**jobs[0]["counts"], "total": "3"}}]
    )
    assert _violations(document, "TestClockOutput", [{**advancing, "status_details": {"advancing": {}}}])


def test_diagnostics_and_attestation_match_their_components(document, api, merchant):
    """Diagnostics with an attempt stuck in processing, a decline and a pending refund in the last
    day; the attestation before and after an access review."""
    pm = make_card(merchant)
    assert (
        pay(api, pm, metadata={"sandbox_fault": "timeout_after_processing"}).json()["status"] == "processing"
    )
    pay(api, pm)
    pay(api, make_card(merchant, "4000000000000002"))
    refunded = pay(api, make_card(merchant, "4000000000005126")).json()
    assert (
        api.post("/v1/refunds", {"payment_intent": refunded["id"]}, format="json").json()["status"]
        == "pending"
    )
    diagnostics = api.get("/v1/diagnostics")
    assert diagnostics.status_code == 200 and diagnostics.json()["payment_intents_in_flight"], (
        diagnostics.json()
    )
    assert diagnostics.json()["connector_latency_last_24h"] and diagnostics.json()["connectors"], (
        diagnostics.json()
    )
    before = api.get("/v1/pci/attestation").json()
    AccessReview.objects.create(
        reviewer_label="compliance-1", notes="quarterly", snapshot={"active_staff": 3}
    )
    after = api.get("/v1/pci/attestation").json()
    assert after["staff"]["last_access_review"], after
    cases = {"DiagnosticsOutput": [diagnostics.json()], "PciAttestationOutput": [before, after]}
    violations = {c: found for c, payloads in cases.items() if (found := _violations(document, c, payloads))}
    assert violations == {}
    assert _violations(document, "DiagnosticsOutput", [{**diagnostics.json(), "celery": {"queue": {}}}])


# Each operation's 200 (202 for a queued job) names the component of the object it answers (lists: the envelope's items).
OPERATIONS = {
    ("/v1/payment_intents", "post"): "PaymentIntentOutput",
    ("/v1/payment_intents", "get"): "list:PaymentIntentOutput",
    ("/v1/payment_intents/search", "get"): "list:PaymentIntentOutput",
    ("/v1/payment_intents/{intent_id}", "post"): "PaymentIntentOutput",
    ("/v1/payment_intents/{intent_id}/capture", "post"): "PaymentIntentOutput",
    ("/v1/payment_intents/{intent_id}/cancel", "post"): "PaymentIntentOutput",
    ("/v1/payment_intents/{intent_id}/3ds/complete", "post"): "PaymentIntentOutput",
    ("/v1/payment_intents/{intent_id}/next_action", "get"): "PaymentIntentNextActionOutput",
    ("/v1/payment_intents/{intent_id}/charges", "get"): "list:ChargeOutput",
    ("/v1/charges", "get"): "list:ChargeOutput",
    ("/v1/charges/{charge_id}", "get"): "ChargeOutput",
    ("/v1/refunds", "post"): "RefundOutput",
    ("/v1/refunds", "get"): "list:RefundOutput",
    ("/v1/refunds/{refund_id}", "get"): "RefundOutput",
    ("/v1/refunds/{refund_id}", "post"): "RefundOutput",
    ("/v1/refunds/{refund_id}/cancel", "post"): "RefundOutput",
    ("/v1/disputes", "get"): "list:DisputeOutput",
    ("/v1/disputes/{dispute_id}", "get"): "DisputeOutput",
    ("/v1/disputes/{dispute_id}", "post"): "DisputeOutput",
    ("/v1/disputes/{dispute_id}/close", "post"): "DisputeOutput",
    ("/v1/bank_accounts", "get"): "list:BankAccountOutput",
    ("/v1/bank_accounts", "post"): "BankAccountOutput",
    ("/v1/bank_accounts/{account_id}", "get"): "BankAccountOutput",
    ("/v1/bank_accounts/{account_id}", "post"): "BankAccountOutput",
    ("/v1/bank_accounts/{account_id}", "delete"): "DeletedBankAccountOutput",
    ("/v1/payouts", "get"): "list:PayoutOutput",
    ("/v1/payouts", "post"): "PayoutOutput",
    ("/v1/payouts/{payout_id}", "get"): "PayoutOutput",
    ("/v1/payouts/{payout_id}/cancel", "post"): "PayoutOutput",
    ("/v1/payout_schedule", "get"): "PayoutScheduleOutput",
    ("/v1/payout_schedule", "post"): "PayoutScheduleOutput",
    ("/v1/balance", "get"): "BalanceOutput",
    ("/v1/balance_transactions", "get"): "list:BalanceTransactionOutput",
    ("/v1/balance_transactions/{balance_transaction_id}", "get"): "BalanceTransactionOutput",
    ("/v1/test/cards", "get"): "list:TestCardOutput",
    ("/v1/files", "get"): "list:FileOutput",
    ("/v1/files", "post"): "FileOutput",
    ("/v1/files/{file_id}", "get"): "FileOutput",
    ("/v1/file_links", "get"): "list:FileLinkOutput",
    ("/v1/file_links", "post"): "FileLinkOutput",
    ("/v1/file_links/{link_id}", "get"): "FileLinkOutput",
    ("/v1/providers", "get"): "list:ProviderOutput",
    ("/v1/connectors", "get"): "list:ConnectorOutput",
    ("/v1/connectors", "post"): "ConnectorOutput",
    ("/v1/connectors/{connector_id}", "get"): "ConnectorOutput",
    ("/v1/connectors/{connector_id}", "delete"): "DeletedConnectorOutput",
    ("/v1/connectors/{connector_id}/test", "post"): "ConnectorTestResultOutput",
    ("/v1/connectors/{connector_id}/logs", "get"): "list:ConnectorCallLogEntryOutput",
    ("/v1/risk/rules", "get"): "RiskRuleListOutput",
    ("/v1/risk/rules", "post"): "RiskRuleOutput",
    ("/v1/risk/rules/{rule_id}", "get"): "RiskRuleOutput",
    ("/v1/risk/decisions/{decision_id}", "get"): "RiskDecisionOutput",
    ("/v1/risk/score", "post"): "RiskDecisionOutput",
    ("/v1/radar/value_lists", "get"): "list:ValueListOutput",
    ("/v1/radar/value_lists", "post"): "ValueListOutput",
    ("/v1/radar/value_lists/{value_list_id}", "get"): "ValueListOutput",
    ("/v1/radar/value_lists/{value_list_id}", "delete"): "DeletedValueListOutput",
    ("/v1/radar/value_list_items", "get"): "list:ValueListItemOutput",
    ("/v1/radar/value_list_items", "post"): "ValueListItemOutput",
    ("/v1/radar/value_list_items/{item_id}", "get"): "ValueListItemOutput",
    ("/v1/radar/value_list_items/{item_id}", "delete"): "DeletedValueListItemOutput",
    ("/v1/reviews", "get"): "list:ReviewOutput",
    ("/v1/reviews/{review_id}", "get"): "ReviewOutput",
    ("/v1/reviews/{review_id}/approve", "post"): "ReviewOutput",
    ("/v1/routing/rule_sets", "get"): "list:RoutingRuleSetOutput",
    ("/v1/routing/rule_sets", "post"): "RoutingRuleSetOutput",
    ("/v1/routing/rule_sets/{rule_set_id}", "get"): "RoutingRuleSetOutput",
    ("/v1/routing/rule_sets/{rule_set_id}/activate", "post"): "RoutingRuleSetOutput",
    ("/v1/routing/evaluate", "post"): "RoutingDecisionOutput",
    ("/v1/reporting/metrics", "get"): "ReportingMetricsOutput",
    ("/v1/reporting/report_types", "get"): "list:ReportTypeOutput",
    ("/v1/reporting/report_types/{report_type}", "get"): "ReportTypeOutput",
    ("/v1/reporting/report_runs", "get"): "list:ReportRunOutput",
    ("/v1/reporting/report_runs", "post"): "ReportRunOutput",
    ("/v1/reporting/report_runs/{report_run_id}", "get"): "ReportRunOutput",
    ("/v1/reporting/report_schedules", "get"): "list:ReportScheduleOutput",
    ("/v1/reporting/report_schedules", "post"): "ReportScheduleOutput",
    ("/v1/reporting/report_schedules/{schedule_id}", "get"): "ReportScheduleOutput",
    ("/v1/reporting/report_schedules/{schedule_id}", "post"): "ReportScheduleOutput",
    ("/v1/reporting/report_schedules/{schedule_id}", "delete"): "DeletedReportScheduleOutput",
    ("/v1/reporting/settlement/{day}", "get"): "SettlementReportOutput",
    ("/v1/payment_intents/bulk", "get"): "list:BulkJobOutput",
    ("/v1/payment_intents/bulk", "post"): "BulkJobOutput",
    ("/v1/payment_intents/bulk/{job_id}", "get"): "BulkJobOutput",
    ("/v1/payment_intents/bulk/{job_id}/cancel", "post"): "BulkJobOutput",
    ("/v1/refunds/bulk", "post"): "BulkJobOutput",
    ("/v1/test_helpers/test_clocks", "get"): "list:TestClockOutput",
    ("/v1/test_helpers/test_clocks", "post"): "TestClockOutput",
    ("/v1/test_helpers/test_clocks/{clock_id}", "get"): "TestClockOutput",
    ("/v1/test_helpers/test_clocks/{clock_id}", "delete"): "DeletedTestClockOutput",
    ("/v1/test_helpers/test_clocks/{clock_id}/advance", "post"): "TestClockOutput",
    ("/v1/test_helpers/simulate", "post"): "SimulationOutput",
    ("/v1/test_helpers/simulations/{simulation_id}", "get"): "SimulationOutput",
    ("/v1/test_helpers/faucet", "get"): "FaucetCardListOutput",
    ("/v1/test_helpers/faucet", "post"): "TokenOutput",
    ("/v1/tokens", "post"): "TokenOutput",
    ("/v1/tokens/{token_id}", "get"): "TokenOutput",
    ("/v1/diagnostics", "get"): "DiagnosticsOutput",
    ("/v1/pci/attestation", "get"): "PciAttestationOutput",
    ("/v1/settlements", "get"): "list:SettlementOutput",
    ("/v1/settlements/{settlement_id}", "get"): "SettlementOutput",
    ("/v1/settlements/sync", "post"): "SettlementSyncOutput",
    ("/v1/settlements/upload", "post"): "SettlementFileOutput",
    ("/v1/reconciliations", "post"): "ReconciliationOutput",
    ("/v1/reconciliations/{reconciliation_id}", "get"): "ReconciliationOutput",
    ("/v1/reconciliations/{reconciliation_id}/discrepancies", "get"): "list:DiscrepancyOutput",
    (
        "/v1/reconciliations/{reconciliation_id}/discrepancies/{discrepancy_id}/resolve",
        "post",
    ): "DiscrepancyOutput",
}


def _ref_name(node) -> str:
    return node["$ref"].rsplit("/", 1)[1]


@pytest.mark.parametrize(("path", "method"), list(OPERATIONS))
def test_each_operation_answers_its_component(document, path, method):
    responses = document["paths"][path][method]["responses"]
    success = min(code for code in responses if code.startswith("2"))  # 200, or 202 for queued jobs
    body = responses[success]["content"]["application/json"]["schema"]
    expected = OPERATIONS[(path, method)]
    if expected.startswith("list:"):
        envelope = document["components"]["schemas"][_ref_name(body)]
        assert _ref_name(envelope["properties"]["data"]["items"]) == expected.removeprefix("list:")
    else:
        assert _ref_name(body) == expected


def test_no_item_component_is_a_stub(document):
    """The placeholders of before (a component requiring only `id`) are gone for these objects."""
    for name in {v.removeprefix("list:") for v in OPERATIONS.values()}:
        component = document["components"]["schemas"][name]
        assert len(component["required"]) >= 3 and set(component["required"]) <= set(
            component["properties"]
        ), name
