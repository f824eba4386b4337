"""Checkout.com recorded exchanges for the conformance suite.

Bodies follow the Checkout.com API reference (api-reference.checkout.com, Payments: "Request a
payment or payout" 201/202, "Get payment details", "Get payment lists", "Capture / Void / Refund
a payment" 202, the 4xx error body) and the webhook event pages (payment_captured); ids have
Checkout.com's shape (``pay_``/``act_``/``evt_``/``sid_`` + 26 base32 characters). The SDK
(checkout-sdk 4.8.1) sends them through the account's ProviderHTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import requests

from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, json_of

HOST = "https://a1b2c3d4.api.sandbox.checkout.com"
SECRET_KEY = "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e"
WEBHOOK_SECRET = "5c1a6f6e-7a8b-4d0e-9a43-0f6ba3c4d5e6"
CHANNEL = "pc_q4dbxom5jbgudnjzjpz7j2z6uq"


def _payment(pay_id, *, status, amount=1000, reference="ch_conf", approved=True, response_code="10000",
             summary="Approved", three_ds=None, **extra):  # fmt: skip
    body = {
        "id": pay_id,
        "action_id": "act_" + pay_id[4:],
        "amount": amount,
        "currency": "EUR",
        "approved": approved,
        "status": status,
        "auth_code": "643381" if approved else None,
        "response_code": response_code,
        "response_summary": summary,
        "risk": {"flagged": False, "score": 0},
        "source": {
            "id": "src_wmlfc3zyhqzehihu7giusaaawu",
            "type": "card",
            "expiry_month": 3,
            "expiry_year": 2030,
            "scheme": "Visa",
            "last4": "1111",
            "fingerprint": "B16D9C2E5A9A3C6C3A8C3F2A9E2D52A3A8A4B5A3B6C2D2E4F1A0B9C8D7E6F5A4",
            "bin": "411111",
            "card_type": "CREDIT",
            "card_category": "CONSUMER",
            "issuer": "JPMORGAN CHASE BANK NA",
            "issuer_country": "US",
            "product_id": "A",
            "product_type": "Visa Traditional",
            "avs_check": "G",
            "cvv_check": "Y",
            "payment_account_reference": "V001726431013874356",
        },
        "processed_on": "2026-12-01T10:11:12.1234567Z",
        "reference": reference,
        "scheme_id": "489341065491658",
        "processing": {
            "acquirer_transaction_id": "440644309099499894406",
            "retrieval_reference_number": "909913440644",
        },
        "expires_on": "2026-12-31T10:11:12Z",
        "_links": {
            "self": {"href": f"https://api.sandbox.checkout.com/payments/{pay_id}"},
            "actions": {"href": f"https://api.sandbox.checkout.com/payments/{pay_id}/actions"},
        },
    }
    if three_ds is not None:
        body["3ds"] = three_ds
    body.update(extra)
    return body


def _sent(expect: dict, *, idempotency_key: str | None = None):
    def check(request: requests.PreparedRequest):
        sent = json_of(request)
        for key, value in expect.items():
            assert sent.get(key) == value, (key, sent.get(key))
        assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
        if idempotency_key is not None:
            assert request.headers["Cko-Idempotency-Key"] == idempotency_key

    return check


def _card_sent(request):
    source = json_of(request)["source"]
    assert source == {"type": "card", "number": "4111111111111111", "expiry_month": 3, "expiry_year": 2030}


class Recordings(ConformanceRecordings):
    provider = "checkout"
    credentials = {
        "secret_key": SECRET_KEY,
        "processing_channel_id": CHANNEL,
        "webhook_secret": WEBHOOK_SECRET,
    }
    config = {"environment_subdomain": "a1b2c3d4"}
    amount = 1000
    currency = "EUR"
    callback_expect = {
        "type": "charge.captured",
        "gateway_reference": "pay_y3oqhf46pyzuxjbcn2giaqnb44",
        "provider_event_id": "evt_az5sblvku4ge3dwpztvyizgcau",
        "amount": 1000,
        "currency": "EUR",
    }

    def approve(self):
        def check(request):
            _sent({"amount": 1000, "currency": "EUR", "capture": True, "reference": "ch_conf_approve",
                   "processing_channel_id": CHANNEL}, idempotency_key="ch_conf_approve")(request)  # fmt: skip
            _card_sent(request)
            assert "3ds" not in json_of(request)

        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payments",
                    status=201,
                    check=check,
                    json=_payment(
                        "pay_y3oqhf46pyzuxjbcn2giaqnb44",
                        status="Authorized",
                        reference="ch_conf_approve",
                        three_ds={"downgraded": True, "enrolled": "N"},
                    ),
                ),
            ],
            inputs={"request": {"three_ds": "never"}},
            expect={"gateway_reference": "pay_y3oqhf46pyzuxjbcn2giaqnb44"},
        )

    def decline(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payments",
                    status=201,
                    check=_sent({"reference": "ch_conf_decline"}, idempotency_key="ch_conf_decline"),
                    json=_payment(
                        "pay_h2f3frmurpsuhgymdrwo6mkyvq",
                        status="Declined",
                        approved=False,
                        reference="ch_conf_decline",
                        response_code="20051",
                        summary="Insufficient Funds",
                    ),
                ),
            ],
            inputs={"request": {"three_ds": "never"}},
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )

    def three_ds_round_trip(self):
        pay_id = "pay_mbabizu24mvu3mela5njyhpit4"

        def check(request):
            sent = json_of(request)
            assert sent["3ds"]["enabled"] is True
            assert sent["success_url"] == sent["failure_url"] == "https://shop.example/return"

        pending = {
            "id": pay_id,
            "status": "Pending",
            "reference": "ch_conf_three_ds_round_trip",
            "customer": {"id": "cus_y3oqhf46pyzuxjbcn2giaqnb44"},
            "3ds": {"downgraded": False, "enrolled": "Y"},
            "_links": {
                "self": {"href": f"https://api.sandbox.checkout.com/payments/{pay_id}"},
                "redirect": {"href": f"https://api.sandbox.checkout.com/3ds/{pay_id}"},
            },
        }
        done = _payment(pay_id, status="Captured", reference="ch_conf_three_ds_round_trip",
                        three_ds={"downgraded": False, "enrolled": "Y", "signature_valid": "Y",
                                  "authentication_response": "Y", "cryptogram": "hv8mUFzPzRZoCAAAAAEQBDMAAAA=",
                                  "xid": "MDAwMDAwMDAwMDAwMDAwMzIyNzY=", "version": "2.2.0"},
                        requested_on="2026-12-01T10:11:10Z", payment_type="Regular", eci="05")  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/payments", status=202, json=pending, check=check),
                Exchange("GET", f"{HOST}/payments/sid_y3oqhf46pyzuxjbcn2giaqnb44", json=done),
            ],
            inputs={"return_payload": {"cko-session-id": "sid_y3oqhf46pyzuxjbcn2giaqnb44"}},
            expect={"gateway_reference": pay_id},
        )

    def partial_capture(self):
        pay_id = "pay_4exvlyjezy5efawv6agvq5cfpa"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payments",
                    status=201,
                    check=_sent({"capture": False, "amount": 1000}),
                    json=_payment(pay_id, status="Authorized", reference="ch_conf_partial_capture"),
                ),
                Exchange(
                    "POST",
                    f"{HOST}/payments/{pay_id}/captures",
                    status=202,
                    check=_sent(
                        {"amount": 600, "reference": "ch_conf_partial_capture:capture"},
                        idempotency_key="ch_conf_partial_capture:capture",
                    ),
                    json={
                        "action_id": "act_pnrlygtcbhauzgagmrf5gg36ni",
                        "reference": "ch_conf_partial_capture:capture",
                        "_links": {
                            "payment": {"href": f"https://api.sandbox.checkout.com/payments/{pay_id}"}
                        },
                    },
                ),
            ],
            inputs={"capture_amount": 600, "request": {"three_ds": "never"}},
        )

    def void(self):
        pay_id = "pay_4exvlyjezy5efawv6agvq5cfpa"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payments/{pay_id}/voids",
                    status=202,
                    check=_sent({"reference": "ch_conf_void:void"}, idempotency_key="ch_conf_void:void"),
                    json={
                        "action_id": "act_whuz2yyb5ryehjrt4ddqv5wnhe",
                        "reference": "ch_conf_void:void",
                        "_links": {
                            "payment": {"href": f"https://api.sandbox.checkout.com/payments/{pay_id}"}
                        },
                    },
                ),
            ],
            inputs={"gateway_reference": pay_id},
        )

    def partial_refund(self):
        pay_id = "pay_y3oqhf46pyzuxjbcn2giaqnb44"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payments/{pay_id}/refunds",
                    status=202,
                    check=_sent(
                        {"amount": 400, "reference": "re_conf_partial_refund"},
                        idempotency_key="re_conf_partial_refund",
                    ),
                    json={
                        "action_id": "act_2f56bhkau5dubequbv5aa6w4qi",
                        "reference": "re_conf_partial_refund",
                        "_links": {
                            "payment": {"href": f"https://api.sandbox.checkout.com/payments/{pay_id}"}
                        },
                    },
                ),
            ],
            inputs={"gateway_reference": pay_id, "refund_amount": 400},
            expect={"gateway_reference": "act_2f56bhkau5dubequbv5aa6w4qi"},
        )

    def refund_failure(self):
        # "Refund not allowed": the API reference's 403 for a payment that cannot be refunded
        # (not captured, or fully refunded already); the body is empty.
        pay_id = "pay_4exvlyjezy5efawv6agvq5cfpa"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payments/{pay_id}/refunds",
                    status=403,
                    body="",
                    headers={"Cko-Request-Id": "0HL80RJLS76I7:00000001"},
                ),
            ],
            inputs={"gateway_reference": pay_id, "refund_amount": 1000},
            expect={"decline_code": "refund_not_allowed"},
        )

    def timeout_then_lookup(self):
        key = "ch_conf_timeout_then_lookup"
        found = _payment("pay_ijl4ewqg5hlu5b3k2vgvqpbx2e", status="Authorized", reference=key)
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/payments", raises=requests.exceptions.ReadTimeout()),
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/payments?") + f".*reference={key}"),
                    json={"limit": 10, "skip": 0, "total_count": 1, "data": [found]},
                ),
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/payments?") + ".*reference=ch_conf_never_sent"),
                    json={"limit": 10, "skip": 0, "total_count": 0, "data": []},
                ),
            ],
            inputs={"unknown_key": "ch_conf_never_sent", "request": {"three_ds": "never"}},
            expect={"gateway_reference": "pay_ijl4ewqg5hlu5b3k2vgvqpbx2e"},
        )

    def callback(self):
        event = {
            "id": "evt_az5sblvku4ge3dwpztvyizgcau",
            "type": "payment_captured",
            "version": "1.0.29",
            "created_on": "2026-12-01T10:20:41.3485221Z",
            "data": {
                "id": "pay_y3oqhf46pyzuxjbcn2giaqnb44",
                "action_id": "act_pnrlygtcbhauzgagmrf5gg36ni",
                "reference": "ch_conf_approve",
                "amount": 1000,
                "processed_on": "2026-12-01T10:20:40.8861921Z",
                "response_code": "10000",
                "response_summary": "Approved",
                "balances": {
                    "total_authorized": 1000,
                    "total_voided": 0,
                    "available_to_void": 0,
                    "total_captured": 1000,
                    "available_to_capture": 0,
                    "total_refunded": 0,
                    "available_to_refund": 1000,
                },
                "metadata": {"order_id": "1001"},
                "currency": "EUR",
                "processing": {"acquirer_transaction_id": "440644309099499894406"},
                "event_links": {
                    "payment": "https://api.sandbox.checkout.com/payments/pay_y3oqhf46pyzuxjbcn2giaqnb44",
                },
            },
            "_links": {
                "self": {
                    "href": "https://api.sandbox.checkout.com/workflows/events/evt_az5sblvku4ge3dwpztvyizgcau"
                },
            },
        }
        body = json.dumps(event).encode()
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "Cko-Signature": signature}

    def settlement_report_parse(self):
        """The Reports API lists the reports created from the day on (a "FinancialActions" report of
        the day, the previous day's, and a payout's); the day's CSV is downloaded and parsed."""
        return Scenario(
            exchanges=[
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/reports?") + ".*"),
                    json=REPORTS_PAGE,
                    check=_reports_query,
                ),
                Exchange(
                    "GET",
                    f"{HOST}/reports/{DAY_REPORT}/files/{DAY_FILE}",
                    body=financial_actions_csv(),
                    headers={"Content-Type": "text/csv"},
                ),
            ],
            inputs={"date": self.date("2026-12-01")},
            # EUR: captures 1000 (fee 15) + 2550 (fee 22, 0.2175001 rounded half-up), an
            # authorization's fee -5, a refund -400 (fee 5), a chargeback -600; KWD: 12.340 (fee
            # 0.12345678 → 0.123). The payout row is the bank side: left out.
            expect={
                "count": 6,
                "totals": {"EUR": (2545, 42), "KWD": (12340, 123)},
                "types": ["capture", "fee", "refund", "dispute"],
            },
        )

    # ------------------------------------------------------------------ follow-up lookups
    def _follow_up_lookup(self, operation: str, path: str, action_type: str, *, amount: int | None):
        pay_id = "pay_fq5oyxtj2r7ezahxm6pvqfsmxu"
        key = {"capture": "ch_conf_follow_up:capture", "void": "ch_conf_follow_up:void",
               "refund": "re_conf_follow_up:refund"}[operation]  # fmt: skip
        done = {"id": "act_wq6omlzqv2i2hjdnvdt6b4t6ha", "type": action_type, "processed_on": "2026-12-01T10:20:40Z",
                "approved": True, "response_code": "10000", "response_summary": "Approved", "reference": key}  # fmt: skip
        if amount is not None:
            done["amount"] = amount
        actions = [
            done,
            {"id": "act_y3oqhf46pyzuxjbcn2giaqnb44", "type": "Authorization", "processed_on": "2026-12-01T10:11:12Z",
             "amount": 1000, "approved": True, "auth_code": "643381", "response_code": "10000",
             "response_summary": "Approved", "reference": "ch_conf_follow_up:authorize"},
        ]  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/payments/{pay_id}/{path}", raises=requests.exceptions.ReadTimeout(),
                         check=_sent({"reference": key}, idempotency_key=key)),
                # "Get payment actions": ours carries our key as its reference (both lookups read it)
                Exchange("GET", f"{HOST}/payments/{pay_id}/actions", json=actions),
            ],
            inputs={"gateway_reference": pay_id, "unknown_key": f"{key}-never-sent",
                    **({"amount": amount} if amount is not None else {})},
            expect={"gateway_reference": "act_wq6omlzqv2i2hjdnvdt6b4t6ha"},
        )  # fmt: skip

    def timeout_then_lookup_capture(self):
        return self._follow_up_lookup("capture", "captures", "Capture", amount=1000)

    def timeout_then_lookup_void(self):
        return self._follow_up_lookup("void", "voids", "Void", amount=None)

    def timeout_then_lookup_refund(self):
        return self._follow_up_lookup("refund", "refunds", "Refund", amount=400)


SAMPLE = Path(__file__).parent / "financial-actions_ent_znj4ih5kn4fuxiaquoudv5mvwy_20261201_20261202_1.csv"
DAY_REPORT = "rpt_lmmldzousk7etoqijqundqexa4"
DAY_FILE = "file_7ysmgfkj4ipunduud22uf73iey"


def financial_actions_csv() -> str:
    """Checkout.com's Financial Actions by Date Range report of 2026-12-01 (the documented
    columns; a row per breakdown of each financial action)."""
    return SAMPLE.read_text()


def _edge(day: str, tz_hours: int) -> str:
    """Midnight of ``day`` in the settlement time zone, in UTC as the Reports API writes it."""
    import datetime as dt

    moment = dt.datetime.fromisoformat(day) - dt.timedelta(hours=tz_hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _report(report_id, file_id, *, type, day, next_day, filename, tags=(), tz_hours=4):
    # The entity's settlement time zone is Asia/Dubai (UTC+4): its day starts at 20:00 UTC.
    return {
        "id": report_id,
        "created_on": f"{next_day}T01:12:40.357Z",
        "last_modified_on": f"{next_day}T01:16:12.357Z",
        "type": type,
        "description": "Financial Actions by Date Range" if type == "FinancialActions" else "Financial Actions by Payout ID",
        "account": {"client_id": "cli_a1b2c3d4", "entity_id": "ent_znj4ih5kn4fuxiaquoudv5mvwy"},
        "tags": list(tags),
        "from": _edge(day, tz_hours),
        "to": _edge(next_day, tz_hours),
        "files": [{
            "id": file_id, "filename": filename, "format": "CSV",
            "_links": {"self": {"href": f"https://api.sandbox.checkout.com/reports/{report_id}/files/{file_id}"}},
        }],
        "_links": {"self": {"href": f"https://api.sandbox.checkout.com/reports/{report_id}"}},
    }  # fmt: skip


REPORTS_PAGE = {
    "count": 4,
    "limit": 100,
    "data": [
        _report(DAY_REPORT, DAY_FILE, type="FinancialActions", day="2026-12-01", next_day="2026-12-02",
                filename="financial-actions_ent_znj4ih5kn4fuxiaquoudv5mvwy_20261201_20261202_1.csv"),
        _report("rpt_6spt2r7yaheutcaoo2pxplt5fq", "file_fmrafd4nnseuro3hnvjsmwkcqq", type="FinancialActions",
                day="2026-11-30", next_day="2026-12-01",
                filename="financial-actions_ent_znj4ih5kn4fuxiaquoudv5mvwy_20261130_20261201_1.csv"),
        # A weekly report whose span includes the day: not the day's (its lines would repeat).
        _report("rpt_b4xsdmkqk6eu3jvbuzyw2pgl3a", "file_7d5r3mvc2vxe3a3jhyqmgbqzvu", type="FinancialActions",
                day="2026-11-26", next_day="2026-12-03",
                filename="financial-actions_ent_znj4ih5kn4fuxiaquoudv5mvwy_20261126_20261203_1.csv"),
        _report("rpt_q2gtjbe3wbkehmhabq5bfxxrwe", "file_wv6a7cy3fmnufdsmkvsbfgoz6m", type="FinancialActionsByPayoutId",
                day="2026-12-01", next_day="2026-12-02", tags=["payout_id:00000000CFJU"],
                filename="financial-actions_ent_znj4ih5kn4fuxiaquoudv5mvwy_20261202_00000000CFJU_1.csv"),
    ],
    "_links": {"self": {"href": "https://api.sandbox.checkout.com/reports?created_after=2026-12-01T00:00:00&limit=100"}},
}  # fmt: skip


def _reports_query(request):
    from urllib.parse import parse_qs, urlsplit

    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert query["created_after"] == "2026-12-01T00:00:00", query
    assert query["created_before"] == "2026-12-05T00:00:00", query
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
