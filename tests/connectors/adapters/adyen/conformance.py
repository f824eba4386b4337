"""Adyen's recorded exchanges for the conformance suite, shaped after the Adyen API Explorer's
Checkout API v72 examples (``/payments`` Authorised / Refused / RedirectShopper, ``/payments/details``,
modification responses with ``status: received``, 422 validation errors), a standard
AUTHORISATION notification (docs.adyen.com webhooks) and a Settlement details report
(docs.adyen.com/reporting/settlement-detail-report columns). pspReferences are Adyen's 16
characters."""

from __future__ import annotations

import datetime as dt
import json

from apps.connectors.adapters.adyen.webhooks import sign_item
from apps.connectors.declines import DO_NOT_RETRY
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, json_of

CHECKOUT = "https://checkout-test.adyen.com/v72"
API_KEY = "AQEyhmfxK4zJbBZDw0m/n3Q5qf3VaY9UCJ1+XWZe9W27jmlZiv4PD4jhfNMofnLr2K5i8/0QwV1bDb7kfNy1WIxIIkxgBw==-conformanceKey0001"
HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
MERCHANT = "ClearhouseECOM"


def _sent(expected: dict, *, key: str | None = None):
    def check(request) -> None:
        assert request.headers["X-API-Key"] == API_KEY
        if key is not None:
            assert request.headers["Idempotency-Key"] == key
        body = json_of(request)
        for name, value in expected.items():
            node = body
            for part in name.split("."):
                node = node[part]
            assert node == value, (name, node)

    return check


class Recordings(ConformanceRecordings):
    provider = "adyen"
    credentials = {"api_key": API_KEY, "hmac_key": HMAC_KEY}
    config = {"merchant_account": MERCHANT, "settlement_batch_anchor": "12@2026-01-05"}
    livemode = False
    amount = 1000
    currency = "EUR"
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": "8835767428831452",
        "provider_event_id": "8835767428831452:AUTHORISATION:true",
        "amount": 1000,
        "currency": "EUR",
    }

    def approve(self):
        return Scenario(
            exchanges=[Exchange("POST", f"{CHECKOUT}/payments", json={
                "additionalData": {"authCode": "064145", "cvcResult": "1 Matches", "networkTxReference": "MCC8I2X7Q0202"},
                "pspReference": "V4HZ4RBFJGXXGN82", "resultCode": "Authorised",
                "amount": {"currency": "EUR", "value": 1000}, "merchantReference": "ch_conf_approve",
                "paymentMethod": {"brand": "visa", "type": "scheme"},
            }, check=_sent({"amount.value": 1000, "amount.currency": "EUR", "merchantAccount": MERCHANT,
                            "paymentMethod.type": "scheme", "paymentMethod.number": "4111111111111111",
                            "paymentMethod.expiryMonth": "03", "reference": "ch_conf_approve"},
                           key="ch_conf_approve"))],
            expect={"gateway_reference": "V4HZ4RBFJGXXGN82"},
        )  # fmt: skip

    def decline(self):
        return Scenario(
            exchanges=[Exchange("POST", f"{CHECKOUT}/payments", json={
                "additionalData": {"cvcResult": "1 Matches"}, "pspReference": "QFQTPCQ8HXSKGK82",
                "refusalReason": "Not enough balance", "refusalReasonCode": "12", "resultCode": "Refused",
                "amount": {"currency": "EUR", "value": 1000}, "merchantReference": "ch_conf_decline",
            })],
            expect={"decline_code": "insufficient_funds", "verdict": DO_NOT_RETRY},
        )  # fmt: skip

    def three_ds_round_trip(self):
        redirect = {
            "resultCode": "RedirectShopper",
            "action": {"paymentMethodType": "scheme", "method": "GET", "type": "redirect",
                       "url": "https://checkoutshopper-test.adyen.com/checkoutshopper/threeDS/redirect?MD=M2RzZXJ2ZXI6OmEwNGY3"},
            "merchantReference": "ch_conf_three_ds_round_trip",
        }  # fmt: skip
        done = {"pspReference": "NC6HT9CRT65ZGN82", "resultCode": "Authorised",
                "merchantReference": "ch_conf_three_ds_round_trip", "additionalData": {"authCode": "123456"}}  # fmt: skip
        return Scenario(
            exchanges=[
                Exchange("POST", f"{CHECKOUT}/payments", json=redirect,
                         check=_sent({"authenticationData.attemptAuthentication": "always",
                                      "returnUrl": "https://shop.example/return"})),
                Exchange("POST", f"{CHECKOUT}/payments/details", json=done,
                         check=_sent({"details.redirectResult": "X6XtfGC3!Y..."},
                                     key="ch_conf_three_ds_round_trip:details")),
            ],
            inputs={"request": {"three_ds": "always"}, "return_payload": {"redirectResult": "X6XtfGC3!Y..."}},
            expect={"gateway_reference": "NC6HT9CRT65ZGN82"},
        )  # fmt: skip

    def partial_capture(self):
        return Scenario(
            exchanges=[
                Exchange("POST", f"{CHECKOUT}/payments", json={
                    "pspReference": "KHQC5N7G84BLNK43", "resultCode": "Authorised",
                    "additionalData": {"authCode": "112233"}, "merchantReference": "ch_conf_partial_capture",
                }, check=_sent({"additionalData.manualCapture": "true"})),
                Exchange("POST", f"{CHECKOUT}/payments/KHQC5N7G84BLNK43/captures", status=201, json={
                    "merchantAccount": MERCHANT, "paymentPspReference": "KHQC5N7G84BLNK43",
                    "pspReference": "QJCMPCF7BCC3ZH82", "reference": "ch_conf_partial_capture:capture",
                    "status": "received", "amount": {"currency": "EUR", "value": 600},
                }, check=_sent({"amount.value": 600}, key="ch_conf_partial_capture:capture")),
            ],
            inputs={"capture_amount": 600},
        )  # fmt: skip

    def void(self):
        return Scenario(
            exchanges=[Exchange("POST", f"{CHECKOUT}/payments/KHQC5N7G84BLNK44/cancels", status=201, json={
                "merchantAccount": MERCHANT, "paymentPspReference": "KHQC5N7G84BLNK44",
                "pspReference": "ZVLWQR6RS6K4G382", "reference": "ch_conf_void:void", "status": "received",
            }, check=_sent({"merchantAccount": MERCHANT}, key="ch_conf_void:void"))],
            inputs={"gateway_reference": "KHQC5N7G84BLNK44"},
        )  # fmt: skip

    def partial_refund(self):
        return Scenario(
            exchanges=[Exchange("POST", f"{CHECKOUT}/payments/V4HZ4RBFJGXXGN82/refunds", status=201, json={
                "merchantAccount": MERCHANT, "paymentPspReference": "V4HZ4RBFJGXXGN82",
                "pspReference": "Z3L4W6PXLGCC6K82", "reference": "re_conf_partial_refund", "status": "received",
                "amount": {"currency": "EUR", "value": 400},
            }, check=_sent({"amount.value": 400}, key="re_conf_partial_refund"))],
            inputs={"gateway_reference": "V4HZ4RBFJGXXGN82", "refund_amount": 400},
            expect={"gateway_reference": "Z3L4W6PXLGCC6K82"},
        )  # fmt: skip

    def refund_failure(self):
        return Scenario(
            exchanges=[Exchange("POST", f"{CHECKOUT}/payments/INVALIDPSPREF0001/refunds", status=422, json={
                "status": 422, "errorCode": "167", "message": "Original pspReference required for this operation",
                "errorType": "validation", "pspReference": "WTLC7C5LTMX2ZJ82",
            })],
            inputs={"gateway_reference": "INVALIDPSPREF0001", "refund_amount": 1000},
            expect={"decline_code": "adyen_validation"},
        )  # fmt: skip

    def callback(self):
        item = {
            "additionalData": {"authCode": "064145", "cardSummary": "1111", "expiryDate": "03/2030"},
            "amount": {"currency": "EUR", "value": 1000},
            "eventCode": "AUTHORISATION",
            "eventDate": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "merchantAccountCode": MERCHANT,
            "merchantReference": "ch_conf_callback",
            "operations": ["CANCEL", "CAPTURE", "REFUND"],
            "paymentMethod": "visa",
            "pspReference": "8835767428831452",
            "reason": "064145:1111:03/2030",
            "success": "true",
        }
        item["additionalData"]["hmacSignature"] = sign_item(item, HMAC_KEY)
        body = json.dumps(
            {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}
        ).encode()
        return body, {"Content-Type": "application/json"}

    def tamper(self, body, headers):
        payload = json.loads(body)
        payload["notificationItems"][0]["NotificationRequestItem"]["amount"]["value"] = 100000
        return json.dumps(payload).encode(), headers

    def settlement_report_parse(self):
        header = ("Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,"
                  "TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),Gross Credit (GC),"
                  "Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),"
                  "Scheme Fees (NC),Interchange (NC),Payment Method Variant,Modification Merchant Reference,"
                  "Batch Number")  # fmt: skip
        rows = [
            "ClearhouseCOM,ClearhouseECOM,V4HZ4RBFJGXXGN82,ch_1001,visa,2026-01-05 10:02:11,CET,Settled,"
            "QJCMPCF7BCC3ZH82,EUR,,10.00,1,EUR,,9.74,0.12,0.02,0.04,0.08,visacredit,,12",
            "ClearhouseCOM,ClearhouseECOM,NC6HT9CRT65ZGN82,ch_1002,mc,2026-01-05 11:40:05,CET,Settled,"
            "8515131751004933,EUR,,25.50,1,EUR,,24.93,0.25,0.05,0.10,0.17,mccredit,,12",
            "ClearhouseCOM,ClearhouseECOM,V4HZ4RBFJGXXGN82,ch_1001,visa,2026-01-05 15:12:40,CET,Refunded,"
            "Z3L4W6PXLGCC6K82,EUR,4.00,,1,EUR,4.00,,0.00,0.00,0.00,0.00,visacredit,re_1001,12",
            "ClearhouseCOM,ClearhouseECOM,,,,2026-01-05 23:59:59,CET,MerchantPayout,,EUR,,,1,EUR,30.67,,,,,,,,12",
        ]
        csv_text = "\n".join([header, *rows]) + "\n"
        url = (f"https://ca-test.adyen.com/reports/download/MerchantAccount/{MERCHANT}/"
               "settlement_detail_report_batch_12.csv")  # fmt: skip
        return Scenario(
            exchanges=[Exchange("GET", url, body=csv_text, headers={"Content-Type": "text/csv"})],
            inputs={"date": self.date("2026-01-05")},
            expect={"count": 3, "totals": {"EUR": (3150, 83)}, "types": ["capture", "refund"]},
        )
