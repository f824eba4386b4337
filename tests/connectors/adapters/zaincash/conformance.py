"""ZainCash's recorded exchanges for the conformance suite.

Bodies follow ZainCash's v1 answers as its public test environment and published clients show
them (see the adapter's docstring): the transaction object of ``/transaction/init`` and
``/transaction/get`` (``id``, ``status``, ``amount`` in whole dinars, ``orderId``,
``referenceNumber``…) and the HS256 JWT of the redirect back (``status``, ``id``, ``orderid``,
``msg``). The secret is shaped like ZainCash's (a bcrypt-looking string used as the HMAC key) but
is not a real merchant's.
"""

from __future__ import annotations

import base64
import json
import re

from apps.connectors.adapters.zaincash import tokens
from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, form_of

BASE = "https://test.zaincash.iq"
SECRET = "$2y$10$Kq8vN3pX1mT6rW9yB2cD4eHfJ7lM0nP5sQ8uV1wX3zA6bC9dE2fG"
MERCHANT_ID = "5f1a9c3e7b2d4f6a8c0e1b3d"
MSISDN = "9647835077893"
APPROVED_ID = "6a0b3c1e9f4d2a7b8c5e1f30"
DECLINED_ID = "6a0b3c1e9f4d2a7b8c5e1f31"
REDIRECT_ID = "6a0b3c1e9f4d2a7b8c5e1f32"


def transaction(transaction_id: str, order_id: str, status: str = "pending", amount: int = 10000) -> dict:
    """A ZainCash transaction object as /transaction/init and /transaction/get answer it."""
    return {
        "source": "web",
        "type": "MERCHANT_PAYMENT",
        "amount": amount,
        "to": MERCHANT_ID,
        "serviceType": "Order 1001",
        "lang": "en",
        "orderId": order_id,
        "currencyConversion": {},
        "status": status,
        "redirectUrl": "https://api.clearhouse.test/v1/webhooks/gateway/conn_zc/return",
        "credit": False,
        "reversed": False,
        "createdAt": "2026-11-02T10:15:22.512Z",
        "updatedAt": "2026-11-02T10:15:22.512Z",
        "referenceNumber": "Z4M3T7",
        "id": transaction_id,
    }


def redirect_token(transaction_id: str, order_id: str, status: str, msg: str = "") -> str:
    """The ``token`` ZainCash appends to ``redirectUrl`` when the customer leaves its page."""
    return tokens.sign({"status": status, "orderid": order_id, "id": transaction_id, "msg": msg}, SECRET)


def _check_init(order_id: str):
    def check(request):
        form = form_of(request)
        assert form["merchantId"] == MERCHANT_ID and form["lang"] == "en"
        claims = tokens.verify(form["token"], SECRET)
        # 10,000 IQD in whole dinars (our 10,000,000 fils), the merchant wallet, our charge id
        assert claims["amount"] == 10000 and claims["msisdn"] == MSISDN
        assert claims["orderId"] == order_id and claims["redirectUrl"].startswith("https://")

    return check


def _init(transaction_id: str, order_id: str) -> Exchange:
    return Exchange(
        "POST",
        f"{BASE}/transaction/init",
        json=transaction(transaction_id, order_id),
        check=_check_init(order_id),
    )


class Recordings(ConformanceRecordings):
    provider = "zaincash"
    credentials = {"merchant_id": MERCHANT_ID, "msisdn": MSISDN, "secret": SECRET}
    config = {"return_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_zc/return"}
    currency = "IQD"
    amount = 10_000_000  # 10,000.000 IQD
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": APPROVED_ID,
        "provider_event_id": f"{APPROVED_ID}:success",
    }

    def request(self, scenario, **overrides):
        overrides.setdefault("payment_method_type", "zaincash")
        overrides.setdefault("card", None)
        return super().request(scenario, **overrides)

    def approve(self):
        # the customer paid; ZainCash's signed redirect decides
        return Scenario(
            exchanges=[_init(APPROVED_ID, "ch_conf_approve")],
            inputs={"return_payload": {"token": redirect_token(APPROVED_ID, "ch_conf_approve", "success")}},
            expect={"gateway_reference": APPROVED_ID},
        )

    def decline(self):
        token = redirect_token(DECLINED_ID, "ch_conf_decline", "failed", "Insufficient balance")
        return Scenario(
            exchanges=[_init(DECLINED_ID, "ch_conf_decline")],
            inputs={"return_payload": {"token": token}},
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )

    def three_ds_round_trip(self):
        # the customer came back without a token (closed the tab, came back later): ZainCash is
        # asked for the transaction's status
        def check_get(request):
            form = form_of(request)
            assert tokens.verify(form["token"], SECRET)["id"] == REDIRECT_ID
            assert form["merchantId"] == MERCHANT_ID

        return Scenario(
            exchanges=[
                _init(REDIRECT_ID, "ch_conf_three_ds_round_trip"),
                Exchange(
                    "POST",
                    f"{BASE}/transaction/get",
                    json=transaction(REDIRECT_ID, "ch_conf_three_ds_round_trip", status="success"),
                    check=check_get,
                ),
            ],
            inputs={"return_payload": {}},
            expect={"gateway_reference": REDIRECT_ID},
        )

    def callback(self):
        body = f"token={redirect_token(APPROVED_ID, 'ch_1001', 'success')}".encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    def tamper(self, body, headers):
        # the claims rewritten (failed → success is what an attacker wants), the signature kept
        token = body.decode().split("=", 1)[1]
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["id"] = re.sub(r"0$", "9", claims["id"])
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"token={header}.{forged}.{signature}".encode(), headers
