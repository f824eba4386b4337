"""Amazon Payment Services recorded exchanges for the conformance suite.

Bodies follow the APS developer docs (the response parameters of PURCHASE / AUTHORIZATION /
CAPTURE / VOID_AUTHORIZATION / REFUND and of CHECK_STATUS, the 5-digit response codes of "Error
Codes": 14000, 02000, 04000, 06000, 08000, 13666, 07048, 20064 with ``3ds_url``, 12000 and 12036
"Order not found"), with the doc's sample access code and merchant identifier. Every answer is
signed here with the recording's SHA response phrase exactly as APS signs (signature.py), and
every request's signature is checked against the request phrase.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

import requests

from apps.connectors.adapters.amazon_ps.signature import sign, valid
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario

API = "https://sbpaymentservices.payfort.com/FortAPI/paymentApi"
MERCHANT = "MxvOupuG"
ACCESS = "SILgpo7pWbmzuURp2qri"
REQUEST_PHRASE = "64ZHnCuhVuqqC4XUOcLc2S$?"
RESPONSE_PHRASE = "07cZ0V8XEc7CWuuRqtyVo7.#"
FORT_ID = "169996200004563874"


def _signed(params: dict) -> dict:
    body = {"access_code": ACCESS, "merchant_identifier": MERCHANT, "language": "en", **params}
    body = {k: str(v) for k, v in body.items()}
    body["signature"] = sign(body, RESPONSE_PHRASE)
    return body


def _answer(
    command: str, reference: str, *, code: str, message: str, amount="1000", fort_id=FORT_ID, **extra
):
    status = code[:2]
    return _signed(
        {
            "command": command,
            "merchant_reference": reference,
            "amount": amount,
            "currency": "AED",
            "fort_id": fort_id,
            "response_code": code,
            "response_message": message,
            "status": status,
            **extra,
        }
    )


_CARD_ANSWER = {
    "customer_email": "jenny@example.com", "eci": "ECOMMERCE", "payment_option": "VISA",
    "card_number": "411111******1111", "expiry_date": "3003", "card_holder_name": "Jenny Rosen",
    "customer_ip": "192.178.1.10",
}  # fmt: skip


def _sent(expect: dict):
    def check(request: requests.PreparedRequest):
        sent = json.loads(request.body)
        assert valid(sent, REQUEST_PHRASE), "request signature"
        assert sent["access_code"] == ACCESS and sent["merchant_identifier"] == MERCHANT
        for key, value in expect.items():
            assert sent.get(key) == value, (key, sent.get(key))

    return check


class Recordings(ConformanceRecordings):
    provider = "amazon_ps"
    credentials = {
        "merchant_identifier": MERCHANT,
        "access_code": ACCESS,
        "sha_request_phrase": REQUEST_PHRASE,
        "sha_response_phrase": RESPONSE_PHRASE,
    }
    config = {"customer_email": "jenny@example.com"}
    amount = 1000
    currency = "AED"
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": f"{FORT_ID}:ch_conf_approve",
        "amount": 1000,
        "currency": "AED",
    }

    def __init__(self):
        body, _ = self.callback()
        params = dict(parse_qsl(body.decode()))
        self.callback_expect = {
            **self.callback_expect,
            "provider_event_id": f"{FORT_ID}-{params['signature'][:32]}",
        }

    def request(self, scenario, **overrides):
        overrides.setdefault("cvc", "123")
        overrides.setdefault("metadata", {"order_id": "1001", "ip_address": "192.178.1.10"})
        return super().request(scenario, **overrides)

    def approve(self):
        check = _sent({"command": "PURCHASE", "merchant_reference": "ch_conf_approve", "amount": "1000",
                       "currency": "AED", "card_number": "4111111111111111", "expiry_date": "3003",
                       "card_security_code": "123", "eci": "ECOMMERCE", "customer_email": "jenny@example.com"})  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    check=check,
                    json=_answer(
                        "PURCHASE",
                        "ch_conf_approve",
                        code="14000",
                        message="Success",
                        authorization_code="452341",
                        **_CARD_ANSWER,
                    ),
                ),
            ],
            expect={"gateway_reference": f"{FORT_ID}:ch_conf_approve"},
        )

    def decline(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    check=_sent({"command": "PURCHASE"}),
                    json=_answer(
                        "PURCHASE",
                        "ch_conf_decline",
                        code="13666",
                        message="Transaction declined",
                        fort_id="169996200004563901",
                        **_CARD_ANSWER,
                    ),
                ),
            ],
            expect={"decline_code": "generic_decline", "verdict": "retry_elsewhere"},
        )

    def three_ds_round_trip(self):
        reference = "ch_conf_three_ds_round_trip"
        fort_id = "169996200004563950"
        on_hold = _answer("PURCHASE", reference, code="20064", message="3-D Secure check requested", fort_id=fort_id,
                          **{"3ds_url": "https://sbcheckout.payfort.com/FortAPI/redirectionResponse/threeDs2RedirectURL"
                                        "?token=6f6c3a5e9b6c4f3d9a2e1b0c7d8e9f10"}, **_CARD_ANSWER)  # fmt: skip
        returned = _answer("PURCHASE", reference, code="14000", message="Success", fort_id=fort_id,
                           authorization_code="452377", **_CARD_ANSWER)  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    json=on_hold,
                    check=_sent({"command": "PURCHASE", "return_url": "https://shop.example/return"}),
                ),
            ],
            inputs={"return_payload": returned},
            expect={"gateway_reference": f"{fort_id}:{reference}"},
        )

    def partial_capture(self):
        reference = "ch_conf_partial_capture"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    check=_sent({"command": "AUTHORIZATION", "amount": "1000"}),
                    json=_answer(
                        "AUTHORIZATION",
                        reference,
                        code="02000",
                        message="Success",
                        authorization_code="452388",
                        **_CARD_ANSWER,
                    ),
                ),
                Exchange(
                    "POST",
                    API,
                    check=_sent(
                        {
                            "command": "CAPTURE",
                            "merchant_reference": reference,
                            "fort_id": FORT_ID,
                            "amount": "600",
                            "currency": "AED",
                        }
                    ),
                    json=_answer("CAPTURE", reference, code="04000", message="Success", amount="600"),
                ),
            ],
            inputs={"capture_amount": 600},
        )

    def void(self):
        reference = "ch_conf_partial_capture"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    check=_sent(
                        {"command": "VOID_AUTHORIZATION", "merchant_reference": reference, "fort_id": FORT_ID}
                    ),
                    json=_signed(
                        {
                            "command": "VOID_AUTHORIZATION",
                            "merchant_reference": reference,
                            "fort_id": FORT_ID,
                            "response_code": "08000",
                            "response_message": "Success",
                            "status": "08",
                        }
                    ),
                ),
            ],
            inputs={"gateway_reference": f"{FORT_ID}:{reference}"},
        )

    def partial_refund(self):
        reference = "ch_conf_approve"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    check=_sent(
                        {
                            "command": "REFUND",
                            "merchant_reference": reference,
                            "amount": "400",
                            "currency": "AED",
                            "fort_id": FORT_ID,
                        }
                    ),
                    json=_answer("REFUND", reference, code="06000", message="Success", amount="400"),
                ),
            ],
            inputs={"gateway_reference": f"{FORT_ID}:{reference}", "refund_amount": 400},
            expect={"gateway_reference": f"{FORT_ID}:{reference}"},
        )

    def refund_failure(self):
        reference = "ch_conf_partial_capture"
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    API,
                    check=_sent({"command": "REFUND"}),
                    json=_answer(
                        "REFUND",
                        reference,
                        code="07048",
                        message="Operation amount exceeds the captured amount",
                    ),
                ),
            ],
            inputs={"gateway_reference": f"{FORT_ID}:{reference}", "refund_amount": 1000},
            expect={"decline_code": "amount_too_large"},
        )

    def timeout_then_lookup(self):
        key = "ch_conf_timeout_then_lookup"
        found = _signed(
            {
                "query_command": "CHECK_STATUS",
                "merchant_reference": key,
                "fort_id": "169996200004564012",
                "response_code": "12000",
                "response_message": "Success",
                "status": "12",
                "transaction_status": "14",
                "transaction_code": "14000",
                "transaction_message": "Success",
                "authorized_amount": "1000",
                "captured_amount": "1000",
                "refunded_amount": "0",
                "authorization_code": "452399",
                "currency": "AED",
            }
        )
        missing = _signed({"query_command": "CHECK_STATUS", "merchant_reference": "ch_conf_never_sent",
                           "response_code": "12036", "response_message": "Order not found", "status": "12"})  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", API, raises=requests.exceptions.ReadTimeout()),
                Exchange(
                    "POST",
                    API,
                    json=found,
                    check=_sent({"query_command": "CHECK_STATUS", "merchant_reference": key}),
                ),
                Exchange(
                    "POST",
                    API,
                    json=missing,
                    check=_sent(
                        {"query_command": "CHECK_STATUS", "merchant_reference": "ch_conf_never_sent"}
                    ),
                ),
            ],
            inputs={"unknown_key": "ch_conf_never_sent"},
            expect={"gateway_reference": f"169996200004564012:{key}"},
        )

    def callback(self):
        params = _answer("PURCHASE", "ch_conf_approve", code="14000", message="Success",
                         authorization_code="452341", **_CARD_ANSWER)  # fmt: skip
        return urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
