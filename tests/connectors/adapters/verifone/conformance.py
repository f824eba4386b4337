"""Verifone recorded exchanges for the conformance suite.

Bodies follow the Verifone eCommerce API reference 2.38.1: EcomResponseCard / EcomResponse (``id``
a UUID, ``status``, ``reason_code`` '0000' on success, ``authorization_code``, ``cvv_result``,
``merchant_reference``, ``payment_product``, ``rrn``, ``stan``, ``reversal_status``), List
transactions' GatewayTransactions (decimal ``amount``, ``transaction_type``, ``transaction_status``),
and the 400 BadRequestV2Docs body. The decline's reason code 0051 is the acquirer's ISO 8583 "51"
as Verifone passes it through; the 400 refund failure's ``details`` wording is illustrative.
"""

from __future__ import annotations

import re

import requests

from apps.connectors.adapters.verifone.adapter import verifone_key
from apps.vault.services import CardData
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, json_of

HOST = "https://cst.test-gsc.vfims.com/oidc/api/v2"
USER = "9f4a1d2e-6c3b-4e8a-b1d0-5a7c9e2f4b61"
API_KEY = "nK7pQ2xV9mL4sT8wZ3bF6hJ1cR5yD0gA"
CONTRACT = "c2e5a8f1-3b7d-4a9e-8c6f-1d4b7e0a3c92"
TOKEN = "8125467093201234"


def _tx(tx_id, *, status, amount=1000, reference="ch_conf", reason="0000", **extra):
    body = {
        "id": tx_id,
        "payment_provider_contract": CONTRACT,
        "amount": amount,
        "blocked": False,
        "created_at": "2026-12-01T10:11:12.345Z",
        "merchant_reference": reference,
        "payment_product": "CARD",
        "payment_product_type": "Visa",
        "processor_reference": "5F0A1B2C3D4E",
        "status": status,
        "authorization_code": "A1B2C3" if reason == "0000" else None,
        "avs_result": "Y",
        "card": "6f9e4b2a-1d3c-4e5f-8a7b-9c0d1e2f3a4b",
        "cvv_present": True,
        "cvv_result": "1",
        "details": {"auto_capture": status != "AUTHORIZED", "mid": "1234567890"},
        "reason_code": reason,
        "rrn": "633512345678",
        "shopper_interaction": "ECOMMERCE",
        "stan": "123456",
        "reversal_status": "NONE",
        "country_code": "GB",
        "city": "London",
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def _sent(expect: dict, *, key: str | None = None):
    def check(request: requests.PreparedRequest):
        sent = json_of(request) if request.body else {}
        for name, value in expect.items():
            assert sent.get(name) == value, (name, sent.get(name))
        assert request.headers["Authorization"].startswith("Basic ")
        if key is not None:
            assert request.headers["x-vfi-api-idempotencykey"] == verifone_key(key)

    return check


class Recordings(ConformanceRecordings):
    provider = "verifone"
    credentials = {"user_uid": USER, "api_key": API_KEY, "payment_provider_contract": CONTRACT}
    amount = 1000
    currency = "GBP"

    def card(self):
        return CardData(brand="unknown", provider_token={"provider": "verifone", "reuse_token": TOKEN})

    def approve(self):
        check = _sent({"payment_provider_contract": CONTRACT, "amount": 1000, "currency_code": "GBP",
                       "capture_now": True, "auth_type": "FINAL_AUTH", "reuse_token": TOKEN,
                       "merchant_reference": "ch_conf_approve"}, key="ch_conf_approve")  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/transactions/card",
                    status=201,
                    check=check,
                    json=_tx(
                        "1b6f6c1e-2f0a-4b7c-9d3e-5a8b7c6d5e4f",
                        status="SETTLEMENT_REQUESTED",
                        reference="ch_conf_approve",
                    ),
                ),
            ],
            expect={"gateway_reference": "1b6f6c1e-2f0a-4b7c-9d3e-5a8b7c6d5e4f"},
        )

    def decline(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/transactions/card",
                    status=201,
                    check=_sent({"reuse_token": TOKEN}),
                    json=_tx(
                        "2c7a7d2f-3a1b-4c8d-8e4f-6b9c8d7e6f50",
                        status="DECLINED",
                        reason="0051",
                        reference="ch_conf_decline",
                        status_reason="Insufficient funds",
                        authorization_code=None,
                    ),
                ),
            ],
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )

    def partial_capture(self):
        auth_id = "3d8b8e3a-4b2c-4d9e-9f5a-7c0d9e8f7a61"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/transactions/card",
                    status=201,
                    check=_sent({"capture_now": False, "auth_type": "PRE_AUTH"}),
                    json=_tx(auth_id, status="AUTHORIZED", reference="ch_conf_partial_capture"),
                ),
                Exchange(
                    "POST",
                    f"{HOST}/transactions/{auth_id}/capture",
                    status=201,
                    check=_sent({"amount": 600}, key="ch_conf_partial_capture:capture"),
                    json=_tx(
                        "4e9c9f4b-5c3d-4e0f-8a6b-8d1e0f9a8b72",
                        status="SETTLEMENT_REQUESTED",
                        amount=600,
                        reference="ch_conf_partial_capture",
                    ),
                ),
            ],
            inputs={"capture_amount": 600},
        )

    def void(self):
        auth_id = "3d8b8e3a-4b2c-4d9e-9f5a-7c0d9e8f7a61"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/transactions/{auth_id}/void",
                    status=201,
                    check=_sent({}, key="ch_conf_void:void"),
                    json=_tx(
                        "5f0d0a5c-6d4e-4f1a-9b7c-9e2f1a0b9c83",
                        status="AUTHORIZATION_VOIDED",
                        reference="ch_conf_void",
                    ),
                ),
            ],
            inputs={"gateway_reference": auth_id},
        )

    def partial_refund(self):
        sale_id = "1b6f6c1e-2f0a-4b7c-9d3e-5a8b7c6d5e4f"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/transactions/{sale_id}/refund",
                    status=201,
                    check=_sent({"amount": 400}, key="re_conf_partial_refund"),
                    json=_tx(
                        "6a1e1b6d-7e5f-4a2b-8c8d-0f3a2b1c0d94",
                        status="REFUNDED",
                        amount=400,
                        reference="ch_conf_approve",
                    ),
                ),
            ],
            inputs={"gateway_reference": sale_id, "refund_amount": 400},
            expect={"gateway_reference": "6a1e1b6d-7e5f-4a2b-8c8d-0f3a2b1c0d94"},
        )

    def refund_failure(self):
        auth_id = "3d8b8e3a-4b2c-4d9e-9f5a-7c0d9e8f7a61"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{HOST}/transactions/{auth_id}/refund",
                    status=400,
                    json={
                        "code": 400,
                        "timestamp": 1796126072345,
                        "reversal_status": "NONE",
                        "message": "At least one parameter is invalid. Examine the details property for "
                        "more information. Invalid parameters are listed and prefixed accordingly: "
                        "body for parameters submitted in the requests body, query for parameters "
                        "appended to the requests URL, and params for templated parameters of the "
                        "requests URL.",
                        "details": {"body.amount": {"message": "Amount exceeds the captured amount"}},
                    },
                ),
            ],
            inputs={"gateway_reference": auth_id, "refund_amount": 1000},
            expect={"decline_code": "refund_not_allowed"},
        )

    def timeout_then_lookup(self):
        key = "ch_conf_timeout_then_lookup"
        listed = {
            "id": "7b2f2c7e-8f6a-4b3c-9d9e-1a4b3c2d1e05", "amount": 10.00, "currency_code": "GBP",
            "created_at": "2026-12-01T10:11:12.345Z", "merchant_reference": key, "payment_product": "CARD",
            "payment_product_type": "Visa", "status": "SALE AUTHORISED", "transaction_type": "SALE",
            "transaction_status": "AUTHORISED", "reason_code": "0000", "authorization_code": "A1B2C9",
            "masked_card_number": "4111111111", "shopper_interaction": "ecommerce", "rrn": "633512345699",
        }  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{HOST}/transactions/card", raises=requests.exceptions.ReadTimeout()),
                Exchange(
                    "GET",
                    re.compile(re.escape(f"{HOST}/transactions?") + f".*merchant_reference={key}"),
                    body='[{"id": "7b2f2c7e-8f6a-4b3c-9d9e-1a4b3c2d1e05", "amount": 10.00, '
                    + ", ".join(f'"{k}": "{v}"' for k, v in listed.items() if k not in ("id", "amount"))
                    + "}]",
                ),
                Exchange(
                    "GET",
                    re.compile(
                        re.escape(f"{HOST}/transactions?") + ".*merchant_reference=ch_conf_never_sent"
                    ),
                    json=[],
                ),
            ],
            inputs={"unknown_key": "ch_conf_never_sent"},
            expect={"gateway_reference": "7b2f2c7e-8f6a-4b3c-9d9e-1a4b3c2d1e05"},
        )
