"""Stripe's recorded exchanges for the conformance suite (tests/connectors/conformance)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

import requests

from apps.connectors.adapters.stripe.adapter import STRIPE_API_VERSION
from apps.connectors.declines import DO_NOT_RETRY
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, form_of

from . import payloads as p

API = "https://api.stripe.com"
SECRET_KEY = "sk_test_51QConformanceStripeKeyAbCdEfGh0123456789"
WEBHOOK_SECRET = "whsec_conformanceStripeSigningSecret01"


def _sent(expected: dict[str, str], *, key: str | None = None):
    """Checks of one request: form fields, the pinned API version, our idempotency key, the key."""

    def check(request: requests.PreparedRequest) -> None:
        assert request.headers["Stripe-Version"] == STRIPE_API_VERSION
        assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
        if key is not None:
            assert request.headers["Idempotency-Key"] == key
        form = (
            form_of(request)
            if request.method == "POST"
            else dict(
                __import__("urllib.parse", fromlist=["parse_qsl"]).parse_qsl(request.url.split("?", 1)[-1])
            )
        )
        for name, value in expected.items():
            assert form.get(name) == value, (name, form.get(name))

    return check


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature as Stripe computes it (docs.stripe.com/webhooks#verify-manually)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class Recordings(ConformanceRecordings):
    provider = "stripe"
    credentials = {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}
    livemode = False
    amount = 1000
    currency = "EUR"
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": "pi_3QCbWebhook0Succeeded01",
        "provider_event_id": "evt_3QCbWebhook0Succeeded01",
        "amount": 1000,
        "currency": "EUR",
    }

    def approve(self):
        pi = "pi_3QCapprove0000000001"
        body = p.intent(pi, key="ch_conf_approve", latest_charge=p.charge(pi))
        return Scenario(
            exchanges=[Exchange("POST", f"{API}/v1/payment_intents", json=body, headers={"Request-Id": "req_approve01"},
                                check=_sent({"amount": "1000", "currency": "eur", "confirm": "true",
                                             "capture_method": "automatic", "payment_method_types[0]": "card",
                                             "payment_method_data[card][number]": "4111111111111111",
                                             "metadata[clearhouse_idempotency_key]": "ch_conf_approve",
                                             "return_url": "https://shop.example/return",
                                             "expand[0]": "latest_charge"}, key="ch_conf_approve"))],
            expect={"gateway_reference": pi},
        )  # fmt: skip

    def decline(self):
        pi = "pi_3QCdecline0000000001"
        return Scenario(
            exchanges=[Exchange("POST", f"{API}/v1/payment_intents", status=402, json=p.card_error(pi),
                                check=_sent({"amount": "1000"}, key="ch_conf_decline"))],
            expect={"decline_code": "insufficient_funds", "verdict": DO_NOT_RETRY},
        )  # fmt: skip

    def three_ds_round_trip(self):
        pi = "pi_3QCthreeDS00000000001"
        redirect = {
            "redirect_to_url": {
                "return_url": "https://shop.example/return",
                "url": f"https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1QConformance&payment_intent={pi}"
                "&payment_intent_client_secret=pi_secret&publishable_key=pk_test_x&source=payatt_3QCthreeDS",
            },
            "type": "redirect_to_url",
        }
        pending = p.intent(pi, status="requires_action", key="ch_conf_three_ds_round_trip", next_action=redirect,
                           latest_charge=None)  # fmt: skip
        done = p.intent(pi, key="ch_conf_three_ds_round_trip",
                        latest_charge=p.charge(pi, three_ds={"authentication_flow": "challenge",
                                                             "result": "authenticated", "version": "2.2.0"}))  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{API}/v1/payment_intents", json=pending,
                         check=_sent({"payment_method_options[card][request_three_d_secure]": "any"},
                                     key="ch_conf_three_ds_round_trip")),
                Exchange("GET", re.compile(rf"{API}/v1/payment_intents/{pi}(\?.*)?$"), json=done,
                         check=_sent({"expand[0]": "latest_charge"})),
            ],
            inputs={"request": {"three_ds": "always"}, "return_payload": {"payment_intent": pi}},
            expect={"gateway_reference": pi},
        )  # fmt: skip

    def partial_capture(self):
        pi = "pi_3QCpartialCapture0001"
        held = p.intent(pi, status="requires_capture", capture_method="manual", key="ch_conf_partial_capture",
                        capturable=1000, latest_charge=p.charge(pi, captured=False))  # fmt: skip
        captured = p.intent(pi, status="succeeded", capture_method="manual", key="ch_conf_partial_capture",
                            received=600, latest_charge=p.charge(pi, amount=1000))  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{API}/v1/payment_intents", json=held,
                         check=_sent({"capture_method": "manual"}, key="ch_conf_partial_capture")),
                Exchange("POST", f"{API}/v1/payment_intents/{pi}/capture", json=captured,
                         check=_sent({"amount_to_capture": "600"}, key="ch_conf_partial_capture:capture")),
            ],
            inputs={"capture_amount": 600},
        )  # fmt: skip

    def void(self):
        pi = "pi_3QCvoid000000000001"
        canceled = p.intent(pi, status="canceled", capture_method="manual", key="ch_conf_void")
        canceled.update(canceled_at=1767607300, cancellation_reason="requested_by_customer")
        return Scenario(
            exchanges=[Exchange("POST", f"{API}/v1/payment_intents/{pi}/cancel", json=canceled,
                                check=_sent({"cancellation_reason": "requested_by_customer"}, key="ch_conf_void:void"))],
            inputs={"gateway_reference": pi},
        )  # fmt: skip

    def partial_refund(self):
        pi, re_id = "pi_3QCrefund0000000001", "re_3QCpartialRefund00001"
        return Scenario(
            exchanges=[Exchange("POST", f"{API}/v1/refunds", json=p.refund(re_id, pi, amount=400),
                                check=_sent({"payment_intent": pi, "amount": "400"}, key="re_conf_partial_refund"))],
            inputs={"gateway_reference": pi, "refund_amount": 400},
            expect={"gateway_reference": re_id},
        )  # fmt: skip

    def refund_failure(self):
        pi = "pi_3QCrefunded000000001"
        error = p.invalid_request("charge_already_refunded",
                                  f"Charge ch_3{pi[4:]} has already been refunded.")  # fmt: skip
        return Scenario(
            exchanges=[Exchange("POST", f"{API}/v1/refunds", status=400, json=error)],
            inputs={"gateway_reference": pi, "refund_amount": 1000},
            expect={"decline_code": "charge_already_refunded"},
        )

    def timeout_then_lookup(self):
        pi = "pi_3QCtimeout00000000001"
        found = p.intent(pi, key="ch_conf_timeout_then_lookup", latest_charge=p.charge(pi))
        empty_search = {"object": "search_result", "data": [], "has_more": False, "next_page": None,
                        "url": "/v1/payment_intents/search"}  # fmt: skip
        recent = {"object": "list", "data": [p.intent("pi_3QCother000000000001", key="ch_someone_else")],
                  "has_more": False, "url": "/v1/payment_intents"}  # fmt: skip
        search = re.compile(rf"{API}/v1/payment_intents/search\?.*")
        return Scenario(
            exchanges=[
                Exchange("POST", f"{API}/v1/payment_intents", raises=requests.exceptions.ReadTimeout()),
                # search lags: the first lookup finds it in the consistent list of recent intents
                Exchange("GET", search, json=empty_search,
                         check=_sent({"query": "metadata['clearhouse_idempotency_key']:'ch_conf_timeout_then_lookup'"})),
                Exchange("GET", re.compile(rf"{API}/v1/payment_intents\?.*"),
                         json={**recent, "data": [found, *recent["data"]]}),
                # the unknown key: neither finds it
                Exchange("GET", search, json=empty_search),
                Exchange("GET", re.compile(rf"{API}/v1/payment_intents\?.*"), json=recent),
            ],
            inputs={"unknown_key": "ch_conf_never_sent"},
            expect={"gateway_reference": pi},
        )  # fmt: skip

    def callback(self):
        pi = "pi_3QCbWebhook0Succeeded01"
        event = {
            "id": "evt_3QCbWebhook0Succeeded01",
            "object": "event",
            "api_version": STRIPE_API_VERSION,
            "created": int(time.time()),
            "data": {"object": p.intent(pi, key="ch_conf_callback")},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": "req_9Xz1ConformanceC", "idempotency_key": "ch_conf_callback"},
            "type": "payment_intent.succeeded",
        }
        body = json.dumps(event, indent=2).encode()
        return body, {"Stripe-Signature": sign(body), "Content-Type": "application/json; charset=utf-8"}

    def settlement_report_parse(self):
        def txn(tid, kind, amount, fee, source):
            return {"id": tid, "object": "balance_transaction", "amount": amount, "available_on": 1767830400,
                    "created": 1767607200, "currency": "eur", "description": None, "exchange_rate": None,
                    "fee": fee, "fee_details": [{"amount": fee, "application": None, "currency": "eur",
                                                 "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
                    "net": amount - fee, "reporting_category": kind, "source": source, "status": "pending",
                    "type": kind}  # fmt: skip

        first = {"object": "list", "has_more": True, "url": "/v1/balance_transactions", "data": [
            txn("txn_3QCsettle0000000001", "charge", 1000, 40, p.charge("pi_3QCsettleA0000000001")),
            txn("txn_3QCsettle0000000002", "charge", 2500, 61, p.charge("pi_3QCsettleB0000000001", amount=2500)),
        ]}  # fmt: skip
        second = {"object": "list", "has_more": False, "url": "/v1/balance_transactions", "data": [
            txn("txn_3QCsettle0000000003", "refund", -400, 0, p.refund("re_3QCsettle000000001", "pi_3QCsettleA0000000001")),
            txn("txn_3QCsettle0000000004", "payout", -3000, 0, "po_1QCsettlePayout0001"),
        ]}  # fmt: skip
        listing = re.compile(rf"{API}/v1/balance_transactions\?.*")
        return Scenario(
            exchanges=[
                Exchange("GET", listing, json=first,
                         check=_sent({"created[gte]": "1767571200", "created[lt]": "1767657600"})),
                Exchange("GET", listing, json=second, check=_sent({"starting_after": "txn_3QCsettle0000000002"})),
            ],
            inputs={"date": self.date("2026-01-05")},
            expect={"count": 3, "totals": {"EUR": (3100, 101)}, "types": ["capture", "refund"]},
        )  # fmt: skip

    # ------------------------------------------------------------------ follow-up lookups
    def _retrieve(self, pi: str, body: dict) -> Exchange:
        return Exchange("GET", re.compile(rf"{API}/v1/payment_intents/{pi}(\?.*)?$"), json=body,
                        check=_sent({"expand[0]": "latest_charge"}))  # fmt: skip

    def timeout_then_lookup_capture(self):
        pi, other = "pi_3QCcaptureTimeout0001", "pi_3QCcaptureNever00001"
        captured = p.intent(pi, status="succeeded", capture_method="manual", key="ch_conf_follow_up:authorize",
                            received=1000, latest_charge=p.charge(pi))  # fmt: skip
        held = p.intent(other, status="requires_capture", capture_method="manual", capturable=1000,
                        key="ch_conf_other:authorize", latest_charge=p.charge(other, captured=False))  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{API}/v1/payment_intents/{pi}/capture", raises=requests.exceptions.ReadTimeout(),
                         check=_sent({"amount_to_capture": "1000"}, key="ch_conf_follow_up:capture")),
                self._retrieve(pi, captured),  # the capture went through
                self._retrieve(other, held),  # still held: that capture never happened
            ],
            inputs={"gateway_reference": pi, "unknown_key": "ch_conf_other:capture", "unknown_reference": other},
            expect={"gateway_reference": pi},
        )  # fmt: skip

    def timeout_then_lookup_void(self):
        pi, other = "pi_3QCvoidTimeout000001", "pi_3QCvoidNever00000001"
        canceled = p.intent(pi, status="canceled", capture_method="manual", key="ch_conf_follow_up:authorize")
        canceled.update(canceled_at=1767607300, cancellation_reason="requested_by_customer")
        held = p.intent(other, status="requires_capture", capture_method="manual", capturable=1000,
                        key="ch_conf_other:authorize")  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{API}/v1/payment_intents/{pi}/cancel", raises=requests.exceptions.ReadTimeout(),
                         check=_sent({"cancellation_reason": "requested_by_customer"}, key="ch_conf_follow_up:void")),
                self._retrieve(pi, canceled),
                self._retrieve(other, held),
            ],
            inputs={"gateway_reference": pi, "unknown_key": "ch_conf_other:void", "unknown_reference": other},
            expect={"gateway_reference": pi},
        )  # fmt: skip

    def timeout_then_lookup_refund(self):
        pi, re_id = "pi_3QCrefundTimeout00001", "re_3QCrefundTimeout00001"
        ours = p.refund(re_id, pi, amount=400) | {
            "metadata": {"clearhouse_idempotency_key": "re_conf_follow_up:refund"}
        }
        earlier = p.refund("re_3QCearlierRefund00001", pi, amount=100) | {
            "metadata": {"clearhouse_idempotency_key": "re_conf_earlier:refund"}}  # fmt: skip
        listing = {"object": "list", "data": [ours, earlier], "has_more": False, "url": "/v1/refunds"}
        return Scenario(
            exchanges=[
                Exchange("POST", f"{API}/v1/refunds", raises=requests.exceptions.ReadTimeout(),
                         check=_sent({"payment_intent": pi, "amount": "400"}, key="re_conf_follow_up:refund")),
                # the refunds of the payment: ours carries our key in its metadata (both lookups)
                Exchange("GET", re.compile(rf"{API}/v1/refunds\?.*"), json=listing,
                         check=_sent({"payment_intent": pi, "limit": "100"})),
            ],
            inputs={"gateway_reference": pi, "amount": 400, "unknown_key": "re_conf_never_sent:refund"},
            expect={"gateway_reference": re_id},
        )  # fmt: skip
