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
