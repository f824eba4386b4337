"""PayTabs' recorded exchanges for the conformance suite.

Bodies follow PayTabs' PT2 documentation and its own SDK's recordings (see the adapter's
docstring): the hosted-page answer (``tran_ref``, ``redirect_url``, ``serviceId``, ``profileId``,
``merchantId``, ``trace``) as docs.paytabs.com "Request/Response: Cart ID" shows it; the
transaction (query answer and IPN) as paytabscom/php-sdk ``Samples/ResultCallback.php`` records
it (``payment_result`` with ``response_status``/``response_code``/``response_message``,
``payment_info``, ``ipn_trace``); the error body ``{"code", "message", "trace"}`` of
``Response/Payloads/Failure.php``. The account is a Kuwaiti test profile (KWD, three decimals).
"""

from __future__ import annotations

import json

import requests

from apps.connectors.adapters.paytabs import signatures
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, json_of

BASE = "https://secure-kuwait.paytabs.com"
PROFILE_ID = "132344"
SERVER_KEY = "SJJN9RDKB2-JHGTR6MNWZ-GTDZ6KH2NL"
PAID_REF = "TST2433201917351"
DECLINED_REF = "TST2433201917352"
PAGE_REF = "TST2433201917353"
AUTH_REF = "TST2433201917354"
VOID_REF = "TST2433201917355"
REFUND_REF = "TST2433201917356"
LOOKUP_REF = "TST2433201917357"
CALLBACK_REF = "TST2433201917358"


def page(tran_ref: str, cart_id: str, tran_type: str = "Sale") -> dict:
    return {
        "tran_ref": tran_ref,
        "tran_type": tran_type,
        "cart_id": cart_id,
        "cart_description": "Order 1001",
        "cart_currency": "KWD",
        "cart_amount": "10.500",
        "callback": "https://api.clearhouse.test/v1/webhooks/gateway/conn_paytabs",
        "return": "https://api.clearhouse.test/v1/webhooks/gateway/conn_paytabs/return",
        "redirect_url": f"{BASE}/payment/page/599458B182E5B6B6A4C3F8D2E1B0A9C8B4817FD44318539688688",
        "serviceId": 2,
        "profileId": int(PROFILE_ID),
        "merchantId": 78412,
        "trace": "PMNT0403.6745C1A2.0004F7D1",
    }


def transaction(tran_ref, cart_id, status="A", code="G42967", message="Authorised", *,
                tran_type="Sale", amount="10.500", previous=None) -> dict:  # fmt: skip
    body = {
        "tran_ref": tran_ref,
        "merchant_id": 78412,
        "profile_id": int(PROFILE_ID),
        "cart_id": cart_id,
        "cart_description": "Order 1001",
        "cart_currency": "KWD",
        "cart_amount": amount,
        "tran_currency": "KWD",
        "tran_total": amount,
        "tran_type": tran_type,
        "tran_class": "ECom",
        "customer_details": {
            "name": "Fatima Al-Sabah",
            "email": "fatima@example.com",
            "phone": "96550001234",
            "street1": "Gulf Rd",
            "city": "Kuwait City",
            "state": "KU",
            "country": "KW",
            "ip": "203.0.113.10",
        },
        "payment_result": {
            "response_status": status,
            "response_code": code,
            "response_message": message,
            "acquirer_ref": "TRAN0001.6799F4F6.000101C9",
            "cvv_result": " ",
            "avs_result": " ",
            "transaction_time": "2026-11-02T09:29:27Z",
        },
        "payment_info": {
            "payment_method": "Visa",
            "card_type": "Credit",
            "card_scheme": "Visa",
            "payment_description": "4000 00## #### 0002",
            "expiryMonth": 11,
            "expiryYear": 2033,
        },
        "serviceId": 2,
        "trace": "PMNT0402.6745C1B7.0004F812",
    }
    if previous:
        body["previous_tran_ref"] = previous
    return body


def _headers(request):
    assert request.headers["authorization"] == SERVER_KEY
    assert request.headers["Content-Type"] == "application/json"


def page_exchange(tran_ref: str, cart_id: str, *, tran_type: str = "sale") -> Exchange:
    def check(request):
        _headers(request)
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert '"cart_amount": 10.500' in raw  # a decimal literal with KWD's three decimals, no float
        body = json_of(request)
        assert body["profile_id"] == int(PROFILE_ID) and body["tran_class"] == "ecom"
        assert (
            body["tran_type"] == tran_type and body["cart_id"] == cart_id and body["cart_currency"] == "KWD"
        )
        assert body["callback"].startswith("https://") and body["return"].startswith("https://")

    return Exchange(
        "POST", f"{BASE}/payment/request", json=page(tran_ref, cart_id, tran_type.title()), check=check
    )


def query_exchange(tran_ref: str, answer, *, status: int = 200) -> Exchange:
    def check(request):
        _headers(request)
        assert json_of(request) == {"profile_id": int(PROFILE_ID), "tran_ref": tran_ref}

    return Exchange("POST", f"{BASE}/payment/query", status=status, json=answer, check=check)


def cart_query_exchange(cart_id: str, answer) -> Exchange:
    def check(request):
        _headers(request)
        assert json_of(request) == {"profile_id": int(PROFILE_ID), "cart_id": cart_id}

    return Exchange("POST", f"{BASE}/payment/query", json=answer, check=check)


def follow_up_exchange(tran_type: str, original: str, cart_id: str, answer, *, amount: str, status=200):
    def check(request):
        _headers(request)
        body = json_of(request)
        assert body["tran_type"] == tran_type and body["tran_ref"] == original and body["cart_id"] == cart_id
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert f'"cart_amount": {amount}' in raw

    return Exchange("POST", f"{BASE}/payment/request", status=status, json=answer, check=check)


def return_form(tran_ref: str, cart_id: str, status: str = "A", code: str = "G42967",
                message: str = "Authorised") -> dict[str, str]:  # fmt: skip
    fields = {
        "acquirerMessage": "",
        "acquirerRRN": "",
        "cartId": cart_id,
        "customerEmail": "fatima@example.com",
        "respCode": code,
        "respMessage": message,
        "respStatus": status,
        "tranRef": tran_ref,
    }
    fields["signature"] = signatures.sign_return(fields, SERVER_KEY)
    return fields


class Recordings(ConformanceRecordings):
    provider = "paytabs"
    credentials = {"profile_id": PROFILE_ID, "server_key": SERVER_KEY}
    config = {
        "region": "KWT",
        "callback_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_paytabs",
        "return_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_paytabs/return",
    }
    currency = "KWD"
    amount = 10_500  # 10.500 KWD
    documentation = ("docs.paytabs.com PT2 API", "github.com/paytabscom/php-sdk")
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": CALLBACK_REF,
        "provider_event_id": f"{CALLBACK_REF}:A",
        "amount": 10_500,
        "currency": "KWD",
    }

    def request(self, scenario, **overrides):
        overrides.setdefault("payment_method_type", "paytabs")
        overrides.setdefault("card", None)
        return super().request(scenario, **overrides)

    def approve(self):
        cart = "ch_conf_approve"
        return Scenario(
            exchanges=[page_exchange(PAID_REF, cart), query_exchange(PAID_REF, transaction(PAID_REF, cart))],
            inputs={"return_payload": return_form(PAID_REF, cart)},
            expect={"gateway_reference": PAID_REF},
        )

    def decline(self):
        cart = "ch_conf_decline"
        declined = transaction(DECLINED_REF, cart, "D", "51", "Insufficient funds")
        return Scenario(
            exchanges=[page_exchange(DECLINED_REF, cart), query_exchange(DECLINED_REF, declined)],
            inputs={"return_payload": return_form(DECLINED_REF, cart, "D", "51", "Insufficient funds")},
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )

    def three_ds_round_trip(self):
        # the hosted page (where 3DS runs) and back: PayTabs' record answers A
        cart = "ch_conf_three_ds_round_trip"
        return Scenario(
            exchanges=[page_exchange(PAGE_REF, cart), query_exchange(PAGE_REF, transaction(PAGE_REF, cart))],
            inputs={"return_payload": return_form(PAGE_REF, cart)},
            expect={"gateway_reference": PAGE_REF},
        )

    def void(self):
        answer = transaction(VOID_REF, "ch_conf_void:void", "A", "V10482", "Voided", tran_type="Void",
                             previous=AUTH_REF)  # fmt: skip
        return Scenario(
            exchanges=[follow_up_exchange("void", AUTH_REF, "ch_conf_void:void", answer, amount="10.500")],
            inputs={"gateway_reference": AUTH_REF},
        )

    def partial_refund(self):
        answer = transaction(REFUND_REF, "re_conf_partial_refund", "A", "R55210", "Authorised",
                             tran_type="Refund", amount="4.250", previous=PAID_REF)  # fmt: skip
        return Scenario(
            exchanges=[
                follow_up_exchange("refund", PAID_REF, "re_conf_partial_refund", answer, amount="4.250")
            ],
            inputs={"gateway_reference": PAID_REF, "refund_amount": 4_250},
            expect={"gateway_reference": REFUND_REF},
        )

    def refund_failure(self):
        refused = {"code": 113, "message": "Refund amount exceeds the transaction amount",
                   "trace": "PMNT0401.6745C2D9.0004FA33"}  # fmt: skip
        return Scenario(
            exchanges=[
                follow_up_exchange(
                    "refund", PAID_REF, "re_conf_refund_failure", refused, amount="20.000", status=400
                )
            ],
            inputs={"gateway_reference": PAID_REF, "refund_amount": 20_000},
            expect={"decline_code": "refund_refused"},
        )

    def timeout_then_lookup(self):
        cart = "ch_conf_timeout_then_lookup"
        return Scenario(
            exchanges=[
                Exchange("POST", f"{BASE}/payment/request", raises=requests.exceptions.ReadTimeout()),
                cart_query_exchange(cart, [transaction(LOOKUP_REF, cart, "A")]),
                cart_query_exchange("ch_conf_never_sent", []),
            ],
            inputs={"unknown_key": "ch_conf_never_sent"},
            expect={"gateway_reference": LOOKUP_REF},
        )

    def callback(self):
        body = json.dumps(transaction(CALLBACK_REF, "ch_conf_callback") | {
            "ipn_trace": "IPNS0001.6799F4F7.00000950", "paymentChannel": "Payment Page"}).encode()  # fmt: skip
        return body, {"Content-Type": "application/json", "Signature": signatures.sign_body(body, SERVER_KEY)}
