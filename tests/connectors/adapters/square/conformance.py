"""Square recorded exchanges for the conformance suite.

Bodies follow the Square API reference (Payments API: CreatePayment / CompletePayment /
CancelPayment / ListPayments responses with the Payment object; Refunds API: RefundPayment; the
error object and ErrorCode values; webhook payment.updated) and Square's sandbox: payment ids of
Square's shape, ``cnon:card-nonce-ok`` (the sandbox's test nonce), location ``L88917AVBK2S5``. The
squareup SDK (46.0.0.20260916) sends them through the account's ProviderHTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import requests

from apps.vault.services import CardData
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, json_of

HOST = "https://connect.squareupsandbox.com"
TOKEN = "EAAAl7SZQbUwhaSe7GqcDTm3SwqeYlQfKhwhB4Gk8sl5E4Mt8tYwGJqjHDtLbCrZ"
SIGNATURE_KEY = "4bW8yZ2Kx3mN5pQ7rS9tU1vW3xY5zA7B"
NOTIFICATION_URL = "https://clearhouse.example/v1/inbound/square/con_conformance"
LOCATION = "L88917AVBK2S5"
NONCE = "cnon:card-nonce-ok"


def _payment(pay_id, *, status, card_status, amount=1000, reference="ch_conf", **extra):
    body = {
        "id": pay_id,
        "created_at": "2026-12-01T10:11:12.345Z",
        "updated_at": "2026-12-01T10:11:12.901Z",
        "amount_money": {"amount": amount, "currency": "USD"},
        "total_money": {"amount": amount, "currency": "USD"},
        "approved_money": {"amount": amount, "currency": "USD"},
        "status": status,
        "delay_duration": "PT168H",
        "delay_action": "CANCEL",
        "delayed_until": "2026-12-08T10:11:12.345Z",
        "source_type": "CARD",
        "card_details": {
            "status": card_status,
            "card": {
                "card_brand": "VISA",
                "last_4": "1111",
                "exp_month": 3,
                "exp_year": 2030,
                "fingerprint": "sq-1-Hxim77tbdcbGejOejnoAklBVJed2YFLTmirfl8Q5XZzLTB3Qa1T3t1T1pyH1A7bAF",
                "card_type": "CREDIT",
                "prepaid_type": "NOT_PREPAID",
                "bin": "411111",
            },
            "entry_method": "KEYED",
            "cvv_status": "CVV_ACCEPTED",
            "avs_status": "AVS_ACCEPTED",
            "auth_result_code": "2Nkw7q",
            "statement_description": "SQ *DEFAULT TEST ACCOUNT",
            "card_payment_timeline": {"authorized_at": "2026-12-01T10:11:12.612Z"},
        },
        "location_id": LOCATION,
        "order_id": "pRsjRTgFWATl7so6DxdKBJa7ssbZY",
        "reference_id": reference,
        "risk_evaluation": {"created_at": "2026-12-01T10:11:12.612Z", "risk_level": "NORMAL"},
        "receipt_number": pay_id[:4],
        "receipt_url": f"https://squareupsandbox.com/receipt/preview/{pay_id}",
        "application_details": {
            "square_product": "ECOMMERCE_API",
            "application_id": "sandbox-sq0idb-lky4CaPAWmDnHY3YtYxINg",
        },
        "version_token": "H8Vnk5Z11SKcueuRti79jGpszSEsSVdhKRrSKCOzILG6o",
    }
    body.update(extra)
    return body


def _sent(expect: dict):
    def check(request: requests.PreparedRequest):
        sent = json_of(request)
        for key, value in expect.items():
            assert sent.get(key) == value, (key, sent.get(key))
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Square-Version"] == "2026-09-16"

    return check


def _request(**extra):
    return {"metadata": {"order_id": "1001"}, **extra}


def token_card(source_id: str = NONCE, **fields) -> CardData:
    """The card as the vault hands it to the adapter for payment_method_data[card][square][…]."""
    return CardData(brand="unknown", provider_token={"provider": "square", "source_id": source_id, **fields})


class Recordings(ConformanceRecordings):
    provider = "square"

    def card(self):
        return token_card()

    credentials = {"access_token": TOKEN, "webhook_signature_key": SIGNATURE_KEY}
    config = {"location_id": LOCATION, "webhook_notification_url": NOTIFICATION_URL}
    amount = 1000
    currency = "USD"
    callback_expect = {
        "type": "charge.captured",
        "gateway_reference": "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf",
        "provider_event_id": "6a8f5f28-54a1-4eb0-a98a-3111513fd4fc",
        "amount": 1000,
        "currency": "USD",
    }

    def approve(self):
        check = _sent({"source_id": NONCE, "idempotency_key": "ch_conf_approve", "autocomplete": True,
                       "reference_id": "ch_conf_approve", "location_id": LOCATION,
                       "amount_money": {"amount": 1000, "currency": "USD"}})  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/v2/payments",
                    check=check,
                    json={
                        "payment": _payment(
                            "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf",
                            status="COMPLETED",
                            card_status="CAPTURED",
                            reference="ch_conf_approve",
                        )
                    },
                ),
            ],
            inputs={"request": _request()},
            expect={"gateway_reference": "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf"},
        )

    def decline(self):
        failed = _payment("bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY", status="FAILED", card_status="FAILED",
                          reference="ch_conf_decline")  # fmt: skip
        failed["card_details"]["errors"] = [
            {
                "code": "CARD_DECLINED",
                "detail": "Authorization error: 'CARD_DECLINED'",
                "category": "PAYMENT_METHOD_ERROR",
            }
        ]
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/v2/payments",
                    status=400,
                    json={
                        "errors": [
                            {
                                "code": "CARD_DECLINED",
                                "detail": "Authorization error: 'CARD_DECLINED'",
                                "category": "PAYMENT_METHOD_ERROR",
                            }
                        ],
                        "payment": failed,
                    },
                ),
            ],
            inputs={"request": _request()},
            expect={"decline_code": "generic_decline", "verdict": "retry_elsewhere"},
        )

    def void(self):
        pay_id = "KkAkhdMsgzn59SM8A89WgKwekxLZY"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/v2/payments/{pay_id}/cancel",
                    check=_sent({}),
                    json={
                        "payment": _payment(
                            pay_id, status="CANCELED", card_status="VOIDED", reference="ch_conf_void"
                        )
                    },
                ),
            ],
            inputs={"gateway_reference": pay_id},
        )

    def partial_refund(self):
        pay_id = "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf"
        refund_id = f"{pay_id}_MDwT7EbhlcP6WYqdOXVI2ZmS3VQuRaVBX2nFh8sMqR9jmGV3Jh5vTa"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/v2/refunds",
                    check=_sent(
                        {
                            "idempotency_key": "re_conf_partial_refund",
                            "payment_id": pay_id,
                            "amount_money": {"amount": 400, "currency": "USD"},
                        }
                    ),
                    json={
                        "refund": {
                            "id": refund_id,
                            "status": "PENDING",
                            "amount_money": {"amount": 400, "currency": "USD"},
                            "payment_id": pay_id,
                            "order_id": "pRsjRTgFWATl7so6DxdKBJa7ssbZY",
                            "created_at": "2026-12-01T11:02:03.123Z",
                            "updated_at": "2026-12-01T11:02:03.456Z",
                            "location_id": LOCATION,
                        }
                    },
                ),
            ],
            inputs={"gateway_reference": pay_id, "refund_amount": 400},
            expect={"gateway_reference": refund_id},
        )

    def refund_failure(self):
        pay_id = "KkAkhdMsgzn59SM8A89WgKwekxLZY"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/v2/refunds",
                    status=400,
                    json={
                        "errors": [
                            {
                                "category": "INVALID_REQUEST_ERROR",
                                "code": "REFUND_ERROR_PAYMENT_NEEDS_COMPLETION",
                                "detail": "Payment must be COMPLETED before it can be refunded.",
                            }
                        ]
                    },
                ),
            ],
            inputs={"gateway_reference": pay_id, "refund_amount": 1000},
            expect={"decline_code": "charge_not_refundable"},
        )

    def timeout_then_lookup(self):
        key = "ch_conf_timeout_then_lookup"
        listed = {
            "payments": [
                _payment("3UjH9ET6s6uMp2W2RCPQkQY8sZ9YY", status="COMPLETED", card_status="CAPTURED",
                         reference="ch_conf_other", amount=2500),
                _payment("Lq6e3YJv2tNZ5bdTfHiKFLI0mYdZY", status="COMPLETED", card_status="CAPTURED",
                         reference=key),
            ],
        }  # fmt: skip
        listing = re.compile(re.escape(f"{HOST}/v2/payments?") + ".*location_id=" + LOCATION)
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/v2/payments", raises=requests.exceptions.ReadTimeout()),
                Exchange("GET", listing, json=listed),
                Exchange("GET", listing, json=listed),
            ],
            inputs={"unknown_key": "ch_conf_never_sent", "request": _request()},
            expect={"gateway_reference": "Lq6e3YJv2tNZ5bdTfHiKFLI0mYdZY"},
        )

    def settlement_report_parse(self):
        payout_id = "po_b345d2c7-90b3-4f0b-a2aa-df1def7f8afc"
        payout = {
            "id": payout_id,
            "status": "PAID",
            "location_id": LOCATION,
            "created_at": "2026-12-01T08:00:05Z",
            "updated_at": "2026-12-02T09:12:44Z",
            "amount_money": {"amount": 298, "currency": "USD"},
            "destination": {"type": "BANK_ACCOUNT", "id": "ccof:ZPp3oedR3AeEUNd3z7"},
            "version": 2,
            "type": "BATCH",
            "arrival_date": "2026-12-02",
            "end_to_end_id": "L2100000005",
        }
        other = {
            **payout,
            "id": "po_f3c0fb38-a5ce-427d-b858-52b925b72e45",
            "arrival_date": "2026-12-03",
            "amount_money": {"amount": 5000, "currency": "USD"},
        }
        entries = [
            {"id": "poe_ZQWcw41d0SGJS6IWd4cSi8mKHk", "payout_id": payout_id, "effective_at": "2026-11-30T19:15:49Z",
             "type": "CHARGE", "gross_amount_money": {"amount": 1000, "currency": "USD"},
             "fee_amount_money": {"amount": -59, "currency": "USD"},
             "net_amount_money": {"amount": 941, "currency": "USD"},
             "type_charge_details": {"payment_id": "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf"}},
            {"id": "poe_EibbY9Ob1d0SGJS6IWd4cSiSi6wkaPk", "payout_id": payout_id,
             "effective_at": "2026-11-30T20:01:02Z", "type": "CHARGE",
             "gross_amount_money": {"amount": 800, "currency": "USD"},
             "fee_amount_money": {"amount": -53, "currency": "USD"},
             "net_amount_money": {"amount": 747, "currency": "USD"},
             "type_charge_details": {"payment_id": "Lq6e3YJv2tNZ5bdTfHiKFLI0mYdZY"}},
            {"id": "poe_KkAkhdMsgzn59SM8A89WgKwekxLZY", "payout_id": payout_id,
             "effective_at": "2026-11-30T21:30:00Z", "type": "REFUND",
             "gross_amount_money": {"amount": -400, "currency": "USD"},
             "fee_amount_money": {"amount": 0, "currency": "USD"},
             "net_amount_money": {"amount": -400, "currency": "USD"},
             "type_refund_details": {"payment_id": "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf",
                                     "refund_id": "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf_MDwT7EbhlcP6WYqdOXVI2ZmS3VQuRaVBX2nFh8sMqR9jmGV3Jh5vTa"}},
            {"id": "poe_D1EvVa6hEr9yUCe4gFBU8lkM2oN", "payout_id": payout_id,
             "effective_at": "2026-12-01T00:00:00Z", "type": "DEPOSIT_FEE",
             "gross_amount_money": {"amount": -190, "currency": "USD"},
             "fee_amount_money": {"amount": 0, "currency": "USD"},
             "net_amount_money": {"amount": -190, "currency": "USD"}},
            {"id": "poe_Mz4jr1OuqH7AqZlKuw4WDXkU0Rn", "payout_id": payout_id,
             "effective_at": "2026-12-01T00:00:00Z", "type": "RESERVE_HOLD",
             "gross_amount_money": {"amount": -800, "currency": "USD"},
             "fee_amount_money": {"amount": 0, "currency": "USD"},
             "net_amount_money": {"amount": -800, "currency": "USD"}},
        ]  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/v2/payouts?") + ".*location_id=" + LOCATION),
                    json={"payouts": [payout, other]},
                ),
                Exchange(
                    "GET", f"{HOST}/v2/payouts/{payout_id}/payout-entries", json={"payout_entries": entries}
                ),
            ],
            inputs={"date": self.date("2026-12-02")},
            # RESERVE_HOLD moves no payment of ours and is left out; the other payout arrives later.
            expect={
                "count": 4,
                "totals": {"USD": (1000 + 800 - 400 - 190, 59 + 53)},
                "types": ["capture", "refund", "fee"],
            },
        )

    def callback(self):
        event = {
            "merchant_id": "6SSW7HV8K2ST5",
            "type": "payment.updated",
            "event_id": "6a8f5f28-54a1-4eb0-a98a-3111513fd4fc",
            "created_at": "2026-12-01T10:20:41.000Z",
            "data": {
                "type": "payment",
                "id": "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf",
                "object": {
                    "payment": _payment(
                        "GQTFp1ZlXdpoW4o6eGiZhbjosiDFf",
                        status="COMPLETED",
                        card_status="CAPTURED",
                        reference="ch_conf_approve",
                    ),
                },
            },
        }
        body = json.dumps(event).encode()
        digest = hmac.new(SIGNATURE_KEY.encode(), NOTIFICATION_URL.encode() + body, hashlib.sha256).digest()
        return body, {
            "Content-Type": "application/json",
            "X-Square-HmacSha256-Signature": base64.b64encode(digest).decode(),
        }

    # ------------------------------------------------------------------ follow-up lookups
    def _follow_up_lookup(self, path: str, *, done: str, card_status: str):
        pay_id, other = "R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY", "Ly1KRmMW7uFFTUdcajXcQ8anJ4PZY"
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/v2/payments/{pay_id}/{path}", raises=requests.exceptions.ReadTimeout()),
                # GetPayment: the payment went through the operation …
                Exchange("GET", f"{HOST}/v2/payments/{pay_id}", check=lambda r: None, json={
                    "payment": _payment(pay_id, status=done, card_status=card_status,
                                        reference="ch_conf_follow_up:authorize")}),
                # … another is still only APPROVED: that one never happened
                Exchange("GET", f"{HOST}/v2/payments/{other}", json={
                    "payment": _payment(other, status="APPROVED", card_status="AUTHORIZED",
                                        reference="ch_conf_other:authorize")}),
            ],
            inputs={"gateway_reference": pay_id, "unknown_key": "ch_conf_other:" + path, "unknown_reference": other},
            expect={"gateway_reference": pay_id},
        )  # fmt: skip

    def timeout_then_lookup_capture(self):
        return self._follow_up_lookup("complete", done="COMPLETED", card_status="CAPTURED")

    def timeout_then_lookup_void(self):
        return self._follow_up_lookup("cancel", done="CANCELED", card_status="VOIDED")
