"""Telr's recorded exchanges for the conformance suite.

Bodies follow Telr's documentation (see the adapter's docstring): the hosted-page order
(``order.json``: ``{"method": "create", "trace", "order": {"ref", "url"}}``; ``check`` answering
the order with ``ref``, ``cartid``, ``test``, ``amount``, ``currency``, ``status {code, text}``,
``transaction {ref, type, class, status, code, message}``, ``paymethod``, ``card``, ``customer``;
errors ``{"error": {"message": "E56:Duplicate transaction", "note"}}``), the Remote API's XML
answers as ActiveMerchant recorded them (``<remote><auth><status>A</status><code>927615</code>
<message>Accepted</message><tranref>…</tranref><cvv>Y</cvv><avs>X</avs><trace>…</trace>``), and
a transaction advice signed as docs.telr.com "Transaction advice" describes (SHA-1 of the advice
secret and the ``tran_*`` fields joined with ``:``). The account is a UAE test store (AED).
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlencode

from tests.connectors.conformance.recordings import ConformanceRecordings, Exchange, Scenario, form_of

BASE = "https://secure.telr.com"
ORDER_URL = f"{BASE}/gateway/order.json"
REMOTE_URL = f"{BASE}/gateway/remote.xml"
STORE_ID = "15996"
AUTH_KEY = "pQ7x#Vb2~kLm9Rt4"
REMOTE_KEY = "Wz8K^sN3@hGq5Ld1"
ADVICE_SECRET = "tH4e9Kp2Xq7Lm3Zv"

PAID_REF = "869748BD7502CD7535765D3951855B92AAEE0478D8FF0A41FCFDE86AED79A4F9"
DECLINED_REF = "D8FF0A41FCFDE86AED79A4F9869748BD7502CD7535765D3951855B92AAEE0478"
PAGE_REF = "35765D3951855B92AAEE0478D8FF0A41FCFDE86AED79A4F9869748BD7502CD75"
CALLBACK_REF = "AAEE0478D8FF0A41FCFDE86AED79A4F9869748BD7502CD7535765D3951855B92"
SALE_TRAN = "040028991013"
AUTH_TRAN = "029894296182"
RELEASE_TRAN = "017319276183"
REFUND_TRAN = "029895196182"
CALLBACK_TRAN = "040029114571"


def page_url(ref: str) -> str:
    return f"{BASE}/gateway/process.html?o={ref}"


def created(ref: str) -> dict:
    return {"method": "create", "trace": "4001/7932/5eb93cca", "order": {"ref": ref, "url": page_url(ref)}}


def order(ref, cart, code=3, text="Paid", *, status="A", tran_code="940622", message="Authorised",
          tran_ref=SALE_TRAN, amount="105.00", test=1, kind="sale") -> dict:  # fmt: skip
    body = {
        "ref": ref,
        "cartid": cart,
        "test": test,
        "amount": amount,
        "currency": "AED",
        "description": "Order 1001",
        "status": {"code": code, "text": text},
        "paymethod": "Card",
        "card": {"type": "Visa Credit", "last4": "1111", "country": "AE", "first6": "411111",
                 "expiry": {"month": 3, "year": 2030}},
        "customer": {"email": "customer@example.com", "name": {"forenames": "Layla", "surname": "Haddad"},
                     "address": {"line1": "Sheikh Zayed Road", "city": "Dubai", "country": "AE"}},
    }  # fmt: skip
    if status:
        body["transaction"] = {"ref": tran_ref, "type": kind, "class": "ECom", "status": status,
                               "code": tran_code, "message": message}  # fmt: skip
    return {"method": "check", "trace": "4001/17312/5f5a3c2e", "order": body}


def remote_auth(status, code, message, tranref, trace="4000/27614/577533d0") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<remote><auth>'
        f"<status>{status}</status><code>{code}</code><message>{message}</message><tranref>{tranref}</tranref>"
        f"<cvv>Y</cvv><avs>X</avs><trace>{trace}</trace></auth></remote>\n"
    )


def create_exchange(ref: str, cart: str, *, trantype: str = "sale", test: str = "1", answer=None) -> Exchange:
    def check(request):
        form = form_of(request)
        assert (
            form["ivp_method"] == "create"
            and form["ivp_store"] == STORE_ID
            and form["ivp_authkey"] == AUTH_KEY
        )
        assert form["ivp_amount"] == "105.00" and form["ivp_currency"] == "AED"  # decimal text, no float
        assert form["ivp_cart"] == cart and form["ivp_trantype"] == trantype and form["ivp_test"] == test
        assert form["return_auth"] == form["return_decl"] == form["return_can"]
        assert form["return_auth"].startswith("https://") and "cart=" in form["return_auth"]
        assert form["ivp_update_url"].startswith("https://")

    return Exchange("POST", ORDER_URL, json=answer or created(ref), check=check)


def check_exchange(ref: str, answer) -> Exchange:
    def check(request):
        form = form_of(request)
        assert form == {
            "ivp_method": "check",
            "order_ref": ref,
            "ivp_store": STORE_ID,
            "ivp_authkey": AUTH_KEY,
        }

    return Exchange("POST", ORDER_URL, json=answer, check=check)


def json_dumps(value) -> str:
    return json.dumps(value)


def remote_exchange(kind: str, ref: str, amount: str, answer: str, *, test: str = "1") -> Exchange:
    def check(request):
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert f"<store>{STORE_ID}</store><key>{REMOTE_KEY}</key>" in body
        assert f"<type>{kind}</type>" in body and f"<ref>{ref}</ref>" in body
        assert f"<amount>{amount}</amount>" in body and "<currency>AED</currency>" in body
        assert "<class>ecom</class>" in body and f"<test>{test}</test>" in body

    return Exchange("POST", REMOTE_URL, body=answer, headers={"Content-Type": "text/xml;charset=UTF-8"},
                    check=check)  # fmt: skip


def advice_fields(ref=CALLBACK_REF, tran_ref=CALLBACK_TRAN, cart="ch_conf_callback:authorize", *, kind="1",
                  status="A", amount="105.00", test="1", secret=ADVICE_SECRET) -> dict:  # fmt: skip
    """A transaction advice as Telr posts it, with its tran_check computed here independently."""
    fields = {
        "tran_store": STORE_ID, "tran_type": kind, "tran_class": "ecom", "tran_test": test, "tran_ref": tran_ref,
        "tran_prevref": "", "tran_firstref": tran_ref, "tran_order": ref, "tran_currency": "AED",
        "tran_amount": amount, "tran_cartid": cart, "tran_desc": "Order 1001", "tran_status": status,
        "tran_authcode": "940622" if status == "A" else "41",
        "tran_authmessage": "Authorised" if status == "A" else "Insufficient funds",
        "card_code": "VC", "card_last4": "1111", "bill_fname": "Layla", "bill_sname": "Haddad",
        "bill_email": "customer@example.com",
    }  # fmt: skip
    order_ = ("tran_store", "tran_type", "tran_class", "tran_test", "tran_ref", "tran_prevref", "tran_firstref",
              "tran_currency", "tran_amount", "tran_cartid", "tran_desc", "tran_status", "tran_authcode",
              "tran_authmessage")  # fmt: skip
    fields["tran_check"] = hashlib.sha1(":".join([secret, *(fields[k] for k in order_)]).encode()).hexdigest()
    return fields


class Recordings(ConformanceRecordings):
    provider = "telr"
    credentials = {
        "store_id": STORE_ID,
        "auth_key": AUTH_KEY,
        "remote_key": REMOTE_KEY,
        "advice_secret": ADVICE_SECRET,
    }
    config = {
        "callback_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_telr",
        "return_url": "https://api.clearhouse.test/v1/webhooks/gateway/conn_telr/return",
    }
    currency = "AED"
    amount = 10_500  # 105.00 AED
    documentation = ("docs.telr.com (Hosted Payment Page, Remote API, Transaction advice)",)
    callback_expect = {
        "type": "charge.succeeded",
        "gateway_reference": CALLBACK_REF,
        "provider_event_id": f"{CALLBACK_TRAN}:A",
        "amount": 10_500,
        "currency": "AED",
    }

    def request(self, scenario, **overrides):
        overrides.setdefault("payment_method_type", "telr")
        overrides.setdefault("card", None)
        return super().request(scenario, **overrides)

    def approve(self):
        cart = "ch_conf_approve"
        return Scenario(
            exchanges=[create_exchange(PAID_REF, cart), check_exchange(PAID_REF, order(PAID_REF, cart))],
            inputs={"return_payload": {"cart": cart}},
            expect={"gateway_reference": PAID_REF},
        )

    def decline(self):
        cart = "ch_conf_decline"
        declined = order(
            DECLINED_REF, cart, -3, "Declined", status="D", tran_code="41", message="Insufficient funds"
        )
        return Scenario(
            exchanges=[create_exchange(DECLINED_REF, cart), check_exchange(DECLINED_REF, declined)],
            inputs={"return_payload": {"cart": cart}},
            expect={"decline_code": "insufficient_funds", "verdict": "do_not_retry"},
        )

    def three_ds_round_trip(self):
        cart = "ch_conf_three_ds_round_trip"
        return Scenario(
            exchanges=[create_exchange(PAGE_REF, cart), check_exchange(PAGE_REF, order(PAGE_REF, cart))],
            inputs={"return_payload": {"cart": cart}},
            expect={"gateway_reference": PAGE_REF},
        )

    def void(self):
        answer = remote_auth("A", "923928", "Processed", RELEASE_TRAN, "4001/23927/5776b2e2")
        return Scenario(
            exchanges=[remote_exchange("release", AUTH_TRAN, "105.00", answer)],
            inputs={"gateway_reference": AUTH_TRAN},
        )

    def partial_refund(self):
        # the charge holds the order ref: its sale transaction is read with check, then refunded
        return Scenario(
            exchanges=[
                check_exchange(PAID_REF, order(PAID_REF, "ch_conf_approve")),
                remote_exchange(
                    "refund", SALE_TRAN, "42.50", remote_auth("A", "927615", "Accepted", REFUND_TRAN)
                ),
            ],
            inputs={"gateway_reference": PAID_REF, "refund_amount": 4_250},
            expect={"gateway_reference": REFUND_TRAN},
        )

    def refund_failure(self):
        answer = remote_auth(
            "E", "29", "Amount greater than available balance", "000000000000", "4000/10779/577bd219"
        )
        return Scenario(
            exchanges=[remote_exchange("refund", SALE_TRAN, "200.00", answer)],
            inputs={"gateway_reference": SALE_TRAN, "refund_amount": 20_000},
            expect={"decline_code": "refund_refused"},
        )

    def callback(self):
        body = urlencode(advice_fields()).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    def tamper(self, body, headers):
        # the amount changed after Telr signed the advice
        fields = dict(parse_qsl(body.decode()))
        return urlencode({**fields, "tran_amount": "999.00"}).encode(), headers
