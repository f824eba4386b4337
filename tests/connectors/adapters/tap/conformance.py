"""Tap's recorded exchanges for the conformance suite.

Bodies follow Tap's API v2 reference (see the adapter's docstring): the charge / authorize object
(``id`` ``chg_…``/``auth_…``, ``object``, ``live_mode``, ``api_version``, ``status``, ``amount``,
``currency``, ``threeDSecure``, ``transaction {timezone, created, url, expiry}``, ``reference``,
``response {code, message}``, ``customer``, ``source``, ``redirect``, ``post``), the refund object
(``re_…``) and the error body ``{"errors": [{"code", "description"}]}``. The account is a Kuwaiti
test account (KWD, three decimals).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, json_of

BASE = "https://api.tap.company/v2"
SECRET_KEY = "sk_test_XKokBfNWv6FIYuTMg5sLPjhJ"
PAID_ID = "chg_TS05A4720241203Xk2n0211V587"
DECLINED_ID = "chg_TS07A4720241203Qz8k0211P612"
PAGE_ID = "chg_TS03A4820241203Mr4p0211C733"
AUTH_ID = "auth_TS02A4920241203Hn6t0211W841"
REFUND_ID = "re_TS04A5020241203Lp3d0211X905"
CALLBACK_ID = "chg_TS01A5120241203Wd9s0211K118"
FORGED_ID = "chg_TS00A0000000000000000000000"
PAGE_URL = "https://checkout.payments.tap.company/?mode=page&token=6746b1f9e4b0c3a1d2f5e7a8"


def charge(
    object_id, status="CAPTURED", code="000", message="Captured", *, amount=10.5, key="ch_conf"
) -> dict:
    authorize = object_id.startswith("auth_")
    return {
        "id": object_id,
        "object": "authorize" if authorize else "charge",
        "live_mode": False,
        "customer_initiated": True,
        "api_version": "V2",
        "method": "GET",
        "status": status,
        "amount": amount,
        "currency": "KWD",
        "threeDSecure": True,
        "card_threeDSecure": False,
        "save_card": False,
        "product": "GOSELL",
        "description": "Order 1001",
        "metadata": {"order_id": "1001"},
        "transaction": {
            "timezone": "UTC+03:00",
            "created": "1764578400000",
            "url": PAGE_URL,
            "expiry": {"period": 30, "type": "MINUTE"},
            "asynchronous": False,
            "amount": amount,
            "currency": "KWD",
        },
        "reference": {
            "transaction": key,
            "order": key,
            "track": "tck_TS03A4720241203Bx5e0211T215",
            "payment": "4720241203021100271",
            "gateway": "123456789",
        },
        "response": {"code": code, "message": message},
        "receipt": {"email": False, "sms": False},
        "customer": {"id": "cus_TS02A4720241203a1B20211Y482", "first_name": "Customer"},
        "merchant": {"country": "KW", "currency": "KWD", "id": "1234567"},
        "source": {
            "object": "source",
            "type": "CARD_NOT_PRESENT",
            "payment_type": "DEBIT",
            "payment_method": "VISA",
            "channel": "INTERNET",
            "id": "src_all",
        },
        "redirect": {
            "status": "PENDING",
            "url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_tap/return",
        },
        "post": {"status": "PENDING", "url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_tap"},
    }


def hashstring(payload: dict, secret: str = SECRET_KEY, *, amount: str = "10.500") -> str:
    """Tap's hashstring, computed here from the documented string (not by the adapter's code)."""
    text = (
        f"x_id{payload['id']}x_amount{amount}x_currency{payload['currency']}"
        f"x_gateway_reference{payload['reference']['gateway']}x_payment_reference{payload['reference']['payment']}"
        f"x_status{payload['status']}x_created{payload['transaction']['created']}"
    )
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def refund_hashstring(refund: dict, secret: str = SECRET_KEY, *, amount: str) -> str:
    """A refund webhook's hashstring from the documented string: the refund's own fields, its
    top-level ``created``."""
    reference = refund.get("reference") or {}
    text = (
        f"x_id{refund['id']}x_amount{amount}x_currency{refund['currency']}"
        f"x_gateway_reference{reference.get('gateway', '')}x_payment_reference{reference.get('payment', '')}"
        f"x_status{refund['status']}x_created{refund['created']}"
    )
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _bearer(request):
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"


def create_exchange(object_id: str, key: str, *, path: str = "charges") -> Exchange:
    def check(request):
        _bearer(request)
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert '"amount": 10.500' in raw  # a decimal literal with KWD's three decimals, no float
        body = json_of(request)
        assert (
            body["currency"] == "KWD" and body["source"] == {"id": "src_all"} and body["threeDSecure"] is True
        )
        assert body["reference"]["transaction"] == key
        assert body["redirect"]["url"].startswith("https://") and body["post"]["url"].startswith("https://")

    return Exchange("POST", f"{BASE}/{path}", json=charge(object_id, "INITIATED", "100", "Initiated", key=key),
                    check=check)  # fmt: skip


def get_exchange(object_id: str, answer, *, status: int = 200) -> Exchange:
    kind = "authorize" if object_id.startswith("auth_") else "charges"
    return Exchange("GET", f"{BASE}/{kind}/{object_id}", status=status, json=answer, check=_bearer)


def get_exchange_refund(refund_id: str, answer, *, status: int = 200) -> Exchange:
    return Exchange("GET", f"{BASE}/refunds/{refund_id}", status=status, json=answer, check=_bearer)


class Recordings(ConformanceRecordings):
    provider = "tap"
    credentials = {"secret_key": SECRET_KEY}
    config = {
        "callback_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_tap",
        "return_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_tap/return",
    }
    currency = "KWD"
    amount = 10_500  # 10.500 KWD
    documentation = ("developers.tap.company/reference (API v2)",)
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": CALLBACK_ID,
        "provider_event_id": f"{CALLBACK_ID}:CAPTURED",
        "amount": 10_500,
        "currency": "KWD",
    }

    def request(self, scenario, **overrides):
        overrides.setdefault("payment_method_type", "tap")
        overrides.setdefault("card", None)
        return super().request(scenario, **overrides)

    def approve(self):
        return Scenario(
            exchanges=[create_exchange(PAID_ID, "ch_conf_approve"), get_exchange(PAID_ID, charge(PAID_ID))],
            inputs={"return_payload": {"tap_id": PAID_ID}},
            expect={"gateway_reference": PAID_ID},
        )

    def decline(self):
        declined = charge(DECLINED_ID, "DECLINED", "505", "Declined, Insufficient Funds")
        return Scenario(
            exchanges=[create_exchange(DECLINED_ID, "ch_conf_decline"), get_exchange(DECLINED_ID, declined)],
            inputs={"return_payload": {"tap_id": DECLINED_ID}},
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )

    def three_ds_round_trip(self):
        return Scenario(
            exchanges=[
                create_exchange(PAGE_ID, "ch_conf_three_ds_round_trip"),
                get_exchange(PAGE_ID, charge(PAGE_ID)),
            ],
            inputs={"return_payload": {"tap_id": PAGE_ID}},
            expect={"gateway_reference": PAGE_ID},
        )

    def void(self):
        return Scenario(
            exchanges=[
                Exchange(
                    "POST",
                    f"{BASE}/authorize/{AUTH_ID}/void",
                    json=charge(AUTH_ID, "VOID", "000", "Voided"),
                    check=_bearer,
                )
            ],
            inputs={"gateway_reference": AUTH_ID},
        )

    def partial_refund(self):
        def check(request):
            _bearer(request)
            raw = request.body.decode()
            assert '"amount": 4.250' in raw
            body = json_of(request)
            assert body["charge_id"] == PAID_ID and body["reference"] == {
                "merchant": "re_conf_partial_refund"
            }

        refund = {
            "id": REFUND_ID, "object": "refund", "api_version": "V2", "live_mode": False, "amount": 4.25,
            "currency": "KWD", "charge_id": PAID_ID, "created": 1764582000000, "status": "PENDING",
            "reason": "requested_by_customer", "reference": {"merchant": "re_conf_partial_refund"},
            "response": {"code": "100", "message": "Refund is in progress"},
        }  # fmt: skip
        return Scenario(
            exchanges=[Exchange("POST", f"{BASE}/refunds", json=refund, check=check)],
            inputs={"gateway_reference": PAID_ID, "refund_amount": 4_250},
            expect={"gateway_reference": REFUND_ID},
        )

    def refund_failure(self):
        refused = {
            "errors": [{"code": "1157", "description": "Refund amount is more than the available amount"}]
        }
        return Scenario(
            exchanges=[Exchange("POST", f"{BASE}/refunds", status=400, json=refused, check=_bearer)],
            inputs={"gateway_reference": PAID_ID, "refund_amount": 20_000},
            expect={"decline_code": "refund_refused"},
        )

    def callback(self):
        payload = charge(CALLBACK_ID, key="ch_conf_callback") | {"method": "POST"}
        body = json.dumps(payload).encode()
        return body, {"Content-Type": "application/json", "hashstring": hashstring(payload)}

    def tamper(self, body, headers):
        # the amount raised after Tap signed the webhook: refused before anything is asked
        altered = json.loads(body) | {"amount": 105.0}
        return json.dumps(altered).encode(), headers

    def callback_exchanges(self, scenario):
        if scenario == "callback_bad_signature":
            return []
        # a well-signed webhook is still read back (defence in depth)
        return [get_exchange(CALLBACK_ID, charge(CALLBACK_ID, key="ch_conf_callback"))]
