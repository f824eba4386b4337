"""FIB's recorded exchanges for the conformance suite.

Bodies follow FIB's Online Payment API as its documentation and its own SDKs show them (see the
adapter's docstring): the Keycloak token answer, the created payment (``paymentId``,
``readableCode``, ``qrCode`` data URL, ``validUntil``, the three app links), the status answer
(``status``, ``decliningReason``, ``amount``, ``paidAt``, ``paidBy``) and the bare callback
``{"id", "status"}``. FIB documents no error body; the 4xx bodies here use the shape its API
gateway answers with (``errors`` with ``code``/``title``/``detail``), and the adapter only reads
the text.
"""

from __future__ import annotations

import json

from tests.connectors.conformance.recordings import (
    ConformanceRecordings,
    Exchange,
    Scenario,
    form_of,
    json_of,
)

BASE = "https://fib.stage.fib.iq"
CLIENT_ID = "clearhouse-shop-stage"
CLIENT_SECRET = "8d1c0a7e-3f52-4b9e-a6d4-2c7f19e0b5a3"
ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJmaWItc3RhZ2UifQ.eyJhenAiOiJjbGVhcmhvdXNlIn0.c2lnbmF0dXJl"
PAID_ID = "4d6f7625-60f7-48e3-82e3-b4592a4eb993"
DECLINED_ID = "8a1f3b62-0c9d-4e57-9b21-6f4d0e8c7a15"
QR_ID = "b3e9d1c4-7a62-4f08-8e5d-1c2a9f6b0d47"
CALLBACK_ID = "e7c2a5f1-9b34-4d86-a0e3-5f1b8c2d6a90"


def token_exchange() -> Exchange:
    def check(request):
        form = form_of(request)
        assert form == {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }

    return Exchange(
        "POST",
        f"{BASE}/auth/realms/fib-online-shop/protocol/openid-connect/token",
        json={
            "access_token": ACCESS_TOKEN,
            "expires_in": 60,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "profile email",
        },
        check=check,
    )


def created(payment_id: str) -> dict:
    return {
        "paymentId": payment_id,
        "readableCode": "A1B2-C3D4-E5F6",
        "qrCode": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        "validUntil": "2026-11-02T10:30:22.512Z",
        "personalAppLink": f"https://personal.fib.iq/pay?paymentId={payment_id}",
        "businessAppLink": f"https://business.fib.iq/pay?paymentId={payment_id}",
        "corporateAppLink": f"https://corporate.fib.iq/pay?paymentId={payment_id}",
    }


def status(payment_id: str, state: str, reason: str | None = None, amount: str = "10000.00") -> dict:
    body = {
        "paymentId": payment_id,
        "status": state,
        "validUntil": "2026-11-02T10:30:22.512Z",
        "amount": {"amount": amount, "currency": "IQD"},
        "decliningReason": reason,
        "declinedAt": "2026-11-02T10:31:00Z" if state == "DECLINED" else None,
        "paidAt": "2026-11-02T10:18:41Z" if state in ("PAID", "REFUND_REQUESTED", "REFUNDED") else None,
        "paidBy": {"name": "Aram Kareem", "iban": "IQ98FIQB004085190510001"} if state == "PAID" else None,
    }
    return body


def _bearer(request):
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def create_exchange(payment_id: str) -> Exchange:
    def check(request):
        _bearer(request)
        body = json_of(request)
        assert body["monetaryValue"] == {"amount": "10000.00", "currency": "IQD"}
        assert (
            body["statusCallbackUrl"].startswith(("https://", "http://")) and body["refundableFor"] == "P7D"
        )

    return Exchange(
        "POST", f"{BASE}/protected/v1/payments", status=201, json=created(payment_id), check=check
    )


def status_exchange(
    payment_id: str, state: str, reason: str | None = None, http_status: int = 200
) -> Exchange:
    def check(request):
        _bearer(request)

    body = status(payment_id, state, reason) if http_status == 200 else {
        "errors": [{"code": "PAYMENT_NOT_FOUND", "title": "Payment not found", "detail": "No payment with this id."}]
    }  # fmt: skip
    return Exchange("GET", f"{BASE}/protected/v1/payments/{payment_id}/status", status=http_status, json=body,
                    check=check)  # fmt: skip


class Recordings(ConformanceRecordings):
    provider = "fib"
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    config = {"callback_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_fib"}
    currency = "IQD"
    amount = 10_000_000  # 10,000.000 IQD
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": CALLBACK_ID,
        "provider_event_id": f"{CALLBACK_ID}:PAID",
        "amount": 10_000_000,
        "currency": "IQD",
    }

    def request(self, scenario, **overrides):
        overrides.setdefault("payment_method_type", "fib")
        overrides.setdefault("card", None)
        return super().request(scenario, **overrides)

    def approve(self):
        return Scenario(
            exchanges=[token_exchange(), create_exchange(PAID_ID), status_exchange(PAID_ID, "PAID")],
            inputs={"return_payload": {}},
            expect={"gateway_reference": PAID_ID},
        )

    def decline(self):
        return Scenario(
            exchanges=[
                token_exchange(),
                create_exchange(DECLINED_ID),
                status_exchange(DECLINED_ID, "DECLINED", "PAYMENT_EXPIRATION"),
            ],
            inputs={"return_payload": {}},
            expect={"decline_code": "expired", "verdict": "do_not_retry"},
        )

    def three_ds_round_trip(self):
        # the QR flow: the customer scans, the status read-back answers PAID
        return Scenario(
            exchanges=[token_exchange(), create_exchange(QR_ID), status_exchange(QR_ID, "PAID")],
            inputs={"return_payload": {}},
            expect={"gateway_reference": QR_ID},
        )

    def void(self):
        return Scenario(
            exchanges=[
                token_exchange(),
                Exchange("POST", f"{BASE}/protected/v1/payments/{QR_ID}/cancel", status=204, body=""),
            ],
            inputs={"gateway_reference": QR_ID},
        )

    def refund_failure(self):
        refused = {"errors": [{"code": "PAYMENT_NOT_REFUNDABLE", "title": "Payment cannot be refunded",
                               "detail": "The refundable period of this payment has ended."}]}  # fmt: skip
        return Scenario(
            exchanges=[
                token_exchange(),
                Exchange("POST", f"{BASE}/protected/v1/payments/{PAID_ID}/refund", status=406, json=refused),
            ],
            inputs={"gateway_reference": PAID_ID, "refund_amount": 10_000_000},
            expect={"decline_code": "refund_refused"},
        )

    def callback(self):
        return json.dumps({"id": CALLBACK_ID, "status": "PAID"}).encode(), {
            "Content-Type": "application/json"
        }

    def tamper(self, body, headers):
        # a forged callback naming a payment FIB never made (FIB signs nothing: the read-back decides)
        return json.dumps({"id": "00000000-0000-4000-8000-000000000000", "status": "PAID"}).encode(), headers

    def callback_exchanges(self, scenario):
        if scenario == "callback_bad_signature":
            return [
                token_exchange(),
                status_exchange("00000000-0000-4000-8000-000000000000", "", http_status=404),
            ]
        return [token_exchange(), status_exchange(CALLBACK_ID, "PAID")]
