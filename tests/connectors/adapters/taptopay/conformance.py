"""TapToPay's recorded exchanges for the conformance suite: Tap API v2 as the ``tap`` recordings
(``tests/connectors/adapters/tap/conformance.py``), plus the token Tap makes of a device wallet's
payload (``POST /v2/tokens`` with ``{"type": "applepay", "token_data": …}`` → the token object
``tok_…`` with its ``card``, developers.tap.company "Apple Pay Token"), and charges whose
``source`` is that token, answered at once. A Kuwaiti test account (KWD)."""

from __future__ import annotations

import json

from tests.connectors.adapters.tap import conformance as tap
from tests.connectors.conformance.recordings import Exchange, Scenario, json_of

BASE = tap.BASE
TOKEN_ID = "tok_Xhmn5823614Gnbk27Qd6V445"
SAVED_TOKEN = "tok_Pq2w5823615Hmbk27Rd7W556"
PAID_ID = "chg_TS08A5320241203Ab1c0211D942"
DECLINED_ID = "chg_TS09A5420241203Ef2g0211H053"

# An Apple Pay payment token's paymentData, as PassKit hands it over (fields as Apple documents
# them; the values are shortened samples from Tap's "Apple Pay Token" page).
APPLE_PAY_PAYLOAD = {
    "data": "CM8i9PNK4yXtKO3xmOn6uyYOWmQ+iX9/Oc0EWHJZnPZ/IAEe2UYNCfely3dgq3veEygmQcl0s8lvMeCIZAbbBvbZWPKng9lfUwP2u3IU",
    "header": {
        "ephemeralPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELAfDie0Ie1TxCcrFt69BzcQ52+F+Fhm5mDw6pMR54AzoFMgdG",
        "publicKeyHash": "LjAAyv6vb6jOEkjfG7L1a5OR2uCTHIkB61DaYdEWD+w=",
        "transactionId": "0c4352c073ad460044517596dbbf8fe503a837138c8c2de18fddb37ca3ec5295",
    },
    "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCAMIID4jCCA4igAwIBAgIIJEPyqAad9XcwCgYIKoZIzj0EAwIw",
    "version": "EC_v1",
}


def token_object(token_id: str = TOKEN_ID) -> dict:
    return {
        "id": token_id, "created": 1764578400000, "object": "token", "live_mode": False, "type": "CARD",
        "purpose": "CHARGE", "used": False,
        "card": {"id": "card_Zk4l5823614bBna27tz6l434", "object": "card", "funding": "CREDIT",
                 "fingerprint": "gRkNTnMrJPtVYkFDVU485JDqLD%2BvQeoxEk2WdgO6vW8%3D", "brand": "VISA", "scheme": "VISA",
                 "exp_month": 3, "exp_year": 30, "last_four": "4242", "first_six": "424242", "name": ""},
        "client_ip": "",
    }  # fmt: skip


def token_exchange(payload: dict = APPLE_PAY_PAYLOAD, answer=None, *, status: int = 200) -> Exchange:
    def check(request):
        tap._bearer(request)
        assert json_of(request) == {"type": "applepay", "token_data": payload}

    return Exchange("POST", f"{BASE}/tokens", status=status, json=answer or token_object(), check=check)


def paid(
    object_id, status="CAPTURED", code="000", message="Captured", *, token=TOKEN_ID, key="ch_conf"
) -> dict:
    answer = tap.charge(object_id, status, code, message, key=key)
    answer["source"] = {"object": "token", "type": "CARD_PRESENT", "payment_type": "CREDIT",
                        "payment_method": "APPLE_PAY", "channel": "INTERNET", "id": token}  # fmt: skip
    answer["transaction"].pop("url")
    return answer


def charge_exchange(object_id, *, token=TOKEN_ID, key, path="charges", answer=None) -> Exchange:
    def check(request):
        tap._bearer(request)
        assert '"amount": 10.500' in request.body.decode()  # KWD's three decimals, no float
        body = json_of(request)
        assert body["source"] == {"id": token} and body["threeDSecure"] is False
        assert body["reference"]["transaction"] == key and body["currency"] == "KWD"

    return Exchange(
        "POST", f"{BASE}/{path}", json=answer or paid(object_id, token=token, key=key), check=check
    )


class Recordings(tap.Recordings):
    provider = "taptopay"
    documentation = ("developers.tap.company: Apple Pay Token, Device Payments; API v2 reference",)

    def request(self, scenario, **overrides):
        overrides.setdefault("payment_method_type", "apple_pay")
        overrides.setdefault("wallet_token", json.dumps(APPLE_PAY_PAYLOAD))
        overrides.setdefault("card", None)
        return super(tap.Recordings, self).request(scenario, **overrides)

    def approve(self):
        # the wallet's payload is exchanged for a Tap token, which is charged at once
        return Scenario(
            exchanges=[token_exchange(), charge_exchange(PAID_ID, key="ch_conf_approve")],
            expect={"gateway_reference": PAID_ID},
        )

    def decline(self):
        # a device integration that already holds Tap's token: no exchange, the charge is declined
        declined = paid(DECLINED_ID, "DECLINED", "505", "Declined, Insufficient Funds", token=SAVED_TOKEN,
                        key="ch_conf_decline")  # fmt: skip
        return Scenario(
            exchanges=[
                charge_exchange(DECLINED_ID, token=SAVED_TOKEN, key="ch_conf_decline", answer=declined)
            ],
            inputs={"request": {"wallet_token": SAVED_TOKEN}},
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )
