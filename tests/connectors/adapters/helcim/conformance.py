"""Helcim recorded exchanges for the conformance suite.

Bodies follow Helcim's API reference v2.2 (the transaction object of the Payment and Card
Transactions APIs: ``transactionId``, ``dateCreated`` in Mountain Time, ``cardBatchId``,
``status``, ``type``, decimal ``amount``, ``approvalCode``, ``cvvResponse``, F6L4
``cardNumber``…) and "Testing Payment Declines and CVV Responses": in a test account CVV 100
approves with ``cvvResponse`` M, CVV 200 declines with HTTP 500 and "Transaction Declined: DECLINE
CVV2 - Do not honor due to CVV2 mismatch\\failure". The refund failure's wording is illustrative
(Helcim documents the ``errors`` body, not each message).
"""

from __future__ import annotations

import re
from decimal import Decimal

import requests

from apps.connectors.adapters.helcim.adapter import helcim_key
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario

HOST = "https://api.helcim.com/v2"
TOKEN = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5kL7nP9rS1uV3xY5"


def _tx(tx_id, *, type_, amount="10.00", invoice="", status="APPROVED", **extra):
    body = {
        "transactionId": tx_id,
        "dateCreated": "2026-12-01 03:11:12",
        "cardBatchId": 4209764,
        "status": status,
        "user": "Helcim System",
        "type": type_,
        "amount": Decimal(amount),
        "currency": "USD",
        "avsResponse": "X",
        "cvvResponse": "M",
        "cardType": "VI",
        "approvalCode": "T5E8ST",
        "cardToken": "27f8ce5b8bb5d3d3a9c71e",
        "cardNumber": "4111111111",
        "cardHolderName": "Jenny Rosen",
        "customerCode": "CST1024",
        "invoiceNumber": invoice,
        "warning": "",
    }
    body.update(extra)
    return body


def _json(body):
    from apps.connectors.adapters.helcim.adapter import dumps

    return dumps(body)


def _sent(expect: dict, *, key: str | None = None):
    def check(request: requests.PreparedRequest):
        import json

        sent = json.loads(request.body, parse_float=Decimal)
        for name, value in expect.items():
            assert sent.get(name) == value, (name, sent.get(name))
        assert request.headers["api-token"] == TOKEN
        if key is not None:
            assert request.headers["idempotency-key"] == helcim_key(key)
            assert 25 <= len(request.headers["idempotency-key"]) <= 36

    return check


class Recordings(ConformanceRecordings):
    provider = "helcim"
    credentials = {"api_token": TOKEN}
    amount = 1000
    currency = "USD"

    def approve(self):
        def check(request):
            _sent({"amount": Decimal("10.00"), "currency": "USD", "ecommerce": True}, key="ch_conf_approve")(
                request
            )
            import json

            sent = json.loads(request.body)
            assert sent["cardData"] == {"cardNumber": "4111111111111111", "cardExpiry": "0330", "cardCVV": "100",
                                        "cardHolderName": "Cardholder"}  # fmt: skip
            assert sent["invoice"]["invoiceNumber"] == "ch_conf_approve"

        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payment/purchase",
                    check=check,
                    body=_json(_tx(30537777, type_="purchase", invoice="ch_conf_approve")),
                ),
            ],
            inputs={"request": {"cvc": "100"}},
            expect={"gateway_reference": "30537777"},
        )

    def decline(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payment/purchase",
                    status=500,
                    check=_sent({"amount": Decimal("10.00")}),
                    json={
                        "errors": "Transaction Declined: DECLINE CVV2 - Do not honor due to CVV2 mismatch\\failure"
                    },
                ),
            ],
            inputs={"request": {"cvc": "200"}},
            expect={"decline_code": "incorrect_cvc", "verdict": "do_not_retry"},
        )

    def partial_capture(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payment/preauth",
                    check=_sent({"amount": Decimal("10.00")}),
                    body=_json(_tx(30537801, type_="preauth", invoice="ch_conf_partial_capture")),
                ),
                Exchange(
                    "POST",
                    f"{HOST}/payment/capture",
                    check=_sent(
                        {"preAuthTransactionId": 30537801, "amount": Decimal("6.00")},
                        key="ch_conf_partial_capture:capture",
                    ),
                    body=_json(_tx(30537802, type_="capture", amount="6.00")),
                ),
            ],
            inputs={"capture_amount": 600, "request": {"cvc": "100"}},
        )

    def void(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payment/reverse",
                    check=_sent({"cardTransactionId": 30537801}, key="ch_conf_void:void"),
                    body=_json(_tx(30537815, type_="reverse")),
                ),
            ],
            inputs={"gateway_reference": "30537801"},
        )

    def partial_refund(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payment/refund",
                    check=_sent(
                        {"originalTransactionId": 30537777, "amount": Decimal("4.00")},
                        key="re_conf_partial_refund",
                    ),
                    body=_json(_tx(30537840, type_="refund", amount="4.00")),
                ),
            ],
            inputs={"gateway_reference": "30537777", "refund_amount": 400},
            expect={"gateway_reference": "30537840"},
        )

    def refund_failure(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/payment/refund",
                    status=400,
                    json={
                        "errors": ["Refund amount exceeds the remaining balance of the original transaction"]
                    },
                ),
            ],
            inputs={"gateway_reference": "30537777", "refund_amount": 1000},
            expect={"decline_code": "refund_failed"},
        )

    def timeout_then_lookup(self):
        key = "ch_conf_timeout_then_lookup"
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/payment/purchase", raises=requests.exceptions.ReadTimeout()),
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/card-transactions?invoiceNumber={key}") + "$"),
                    body=_json([_tx(30537890, type_="purchase", invoice=key)]),
                ),
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/card-transactions?invoiceNumber=ch_conf_never_sent") + "$"),
                    body="[]",
                ),
            ],
            inputs={"unknown_key": "ch_conf_never_sent", "request": {"cvc": "100"}},
            expect={"gateway_reference": "30537890"},
        )
