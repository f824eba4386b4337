"""The CVC given at tokenization reaches the provider with the card's first authorization only,
through the real confirm path (live mode, recorded Checkout.com and Amazon Payment Services
answers replayed at the HTTP layer): Checkout's ``source.cvv``, APS's ``card_security_code``.
Its hold is deleted once that attempt has an outcome — approved, declined or unknown — a second
confirm or an off-session payment with the saved card sends none, failover within one confirm
reuses it, and the CVC is nowhere afterwards: no column of any table (text, JSON or bytea), no
log line, no API response, no connector log entry."""

import json
import logging
import re

import pytest
import requests
import responses
from django.db import connection

from apps.connectors.observe import redact
from apps.connectors.services import connector_create
from apps.intents.models import Charge
from apps.vault import services as vault_services
from apps.vault.models import CvcHold
from tests.connectors.adapters.amazon_ps import conformance as aps
from tests.connectors.adapters.checkout import conformance as cko
from tests.intents.helpers import ACTOR
from tests.vault.test_no_card_number_anywhere import _text_columns

pytestmark = pytest.mark.django_db

CVC = "737"
CKO_SUBDOMAIN = "a1b2c3d4"
CKO_PAYMENTS = f"https://{CKO_SUBDOMAIN}.api.checkout.com/payments"
CKO_KEY = "sk_m73dzbpy7cf3gfd46xr4yj5xo4e"
APS_API = "https://paymentservices.payfort.com/FortAPI/paymentApi"
GULF_CARD = "4111111111111111"
UAE_BUYER = {"name": "Jenny Rosen", "email": "jenny@example.com", "address": {"country": "AE"}}
WHOLE = re.compile(rf"(?<![0-9A-Za-z]){CVC}(?![0-9A-Za-z])")


def _checkout(merchant):
    return connector_create(
        merchant=merchant, livemode=True, type="checkout", label="Checkout.com", actor=ACTOR,
        credentials={"secret_key": CKO_KEY, "processing_channel_id": cko.CHANNEL},
        config={"environment_subdomain": CKO_SUBDOMAIN},
    )  # fmt: skip


def _aps(merchant):
    return connector_create(
        merchant=merchant, livemode=True, type="amazon_ps", label="APS", actor=ACTOR,
        credentials=aps.Recordings.credentials, config={"customer_email": "jenny@example.com"},
    )  # fmt: skip


def _card(merchant, number="4242424242424242", cvc=CVC, **options):
    return vault_services.payment_method_create_card(
        merchant=merchant, livemode=True, number=number, exp_month=12, exp_year=2034, cvc=cvc, actor=ACTOR,
        **options,
    )  # fmt: skip


def _checkout_answers(sent, outcomes):
    """Checkout.com's "Request a payment": 201 Authorized / Declined 20051, or a read timeout."""

    def answer(request):
        body = json.loads(request.body)
        assert request.headers["Authorization"] == f"Bearer {CKO_KEY}"
        sent.append(body)
        outcome = outcomes.pop(0)
        if outcome == "timeout":
            raise requests.exceptions.ReadTimeout()
        approved = outcome == "approved"
        reply = cko._payment(
            f"pay_y3oqhf46pyzuxjbcn2giaqnb{len(sent):02d}", status="Authorized" if approved else "Declined",
            reference=body["reference"], amount=body["amount"], approved=approved,
            response_code="10000" if approved else "20051", summary="Approved" if approved else "Insufficient Funds",
        )  # fmt: skip
        return (
            201,
            {"Content-Type": "application/json", "Cko-Request-Id": f"req_{len(sent)}"},
            json.dumps(reply),
        )

    return answer


def _aps_answers(sent, outcomes):
    """APS PURCHASE: 14000 Success, or 13666 "Transaction declined" (code 13: declined); every
    request's signature checked against the request phrase, every answer signed."""

    def answer(request):
        body = json.loads(request.body)
        aps._sent({"command": "PURCHASE"})(request)
        sent.append(body)
        ok = outcomes.pop(0) == "approved"
        reply = aps._answer(
            "PURCHASE", body["merchant_reference"], code="14000" if ok else "13666",
            message="Success" if ok else "Transaction declined", amount=body["amount"],
            fort_id=f"1699962000045638{len(sent):02d}", **aps._CARD_ANSWER,
        )  # fmt: skip
        return 200, {"Content-Type": "application/json"}, json.dumps(reply)

    return answer


def _pay(live, pm, *, amount=2500, currency="eur", **extra):
    body = {"amount": amount, "currency": currency, "payment_method": pm.public_id, "confirm": True, **extra}
    return live.post("/v1/payment_intents", body, format="json")


def _held(pm) -> bool:
    return CvcHold.objects.filter(vault_record_id=pm.vault_record_id).exists()


def _cvc_hits() -> list[str]:
    """Every text / JSON / bytea column of every table holding the CVC as a value of its own
    (not inside an id or a longer number)."""
    pattern = r"(^|[^0-9A-Za-z])" + CVC + r"([^0-9A-Za-z]|$)"
    found = []
    with connection.cursor() as cursor:
        for table, column, data_type in _text_columns():
            value = f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {value} ~ %s', [pattern])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_the_cvc_scan_finds_a_planted_cvc(merchant):
    """Negative control: the scan is not vacuous."""
    from apps.vault.models import Customer

    Customer.objects.create(merchant=merchant, description=f'{{"cvc": "{CVC}"}}')
    assert "vault_customer.description" in _cvc_hits()


@responses.activate
def test_checkout_gets_the_cvc_on_the_first_authorization_only_and_it_is_nowhere_afterwards(
    client_for, merchant, caplog, client
):
    caplog.set_level(logging.DEBUG)
    live = client_for(merchant, livemode=True)
    connector = _checkout(merchant)
    sent: list[dict] = []
    responses.add_callback(responses.POST, CKO_PAYMENTS, callback=_checkout_answers(sent, ["approved"] * 3))
    pm = _card(merchant, customer=vault_services.customer_create(merchant=merchant, livemode=True, actor=ACTOR),
               allow_redisplay="always")  # fmt: skip
    assert _held(pm)

    first = _pay(live, pm, customer=pm.customer.public_id, setup_future_usage="off_session")
    assert first.status_code == 200 and first.json()["status"] == "succeeded", first.content
    assert sent[0]["source"]["cvv"] == CVC and sent[0]["source"]["number"] == "4242424242424242"
    assert not _held(pm)  # approved: the hold is gone

    again = _pay(live, pm, customer=pm.customer.public_id)  # the saved card, on-session again
    assert again.status_code == 200 and again.json()["status"] == "succeeded", again.content
    off = _pay(live, pm, customer=pm.customer.public_id, off_session=True)
    assert off.status_code == 200 and off.json()["status"] == "succeeded", off.content
    assert len(sent) == 3 and "cvv" not in sent[1]["source"] and "cvv" not in sent[2]["source"]

    seen = [first, again, off, live.get(f"/v1/connectors/{connector.public_id}/logs"),
            live.get(f"/v1/payment_methods/{pm.public_id}"),
            live.get(f"/v1/charges/{first.json()['latest_charge']}")]  # fmt: skip
    for response in seen:
        assert response.status_code == 200, response.content
        assert not WHOLE.search(response.content.decode()), response.request["PATH_INFO"]
    log = live.get(f"/v1/connectors/{connector.public_id}/logs").json()["data"]
    bodies = [ex["request_body"] for entry in log for ex in entry["exchanges"]]
    assert any(body["source"].get("cvv") == "[redacted]" for body in bodies)  # logged, redacted
    assert _cvc_hits() == []
    assert not [r.name for r in caplog.records if WHOLE.search(r.getMessage())]
    _assert_admin_pages_clean(client)


def _assert_admin_pages_clean(client):
    from django.contrib import admin
    from django.urls import reverse

    from apps.intents.models import PaymentIntent
    from apps.vault.models import PaymentMethod, VaultRecord
    from tests.admin.staff import staff_user

    client.force_login(staff_user("admin"))
    for model in (PaymentMethod, VaultRecord, PaymentIntent, Charge):
        assert model in admin.site._registry
        opts = model._meta
        pages = [client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))]
        pages += [client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
                  for obj in model.objects.all()[:10]]  # fmt: skip
        for page in pages:
            assert page.status_code == 200, opts.label
            assert not WHOLE.search(page.content.decode()), opts.label


@responses.activate
def test_aps_gets_card_security_code_on_the_first_purchase_and_a_decline_ends_the_hold(client_for, merchant):
    live = client_for(merchant, livemode=True)
    connector = _aps(merchant)
    sent: list[dict] = []
    responses.add_callback(responses.POST, APS_API, callback=_aps_answers(sent, ["declined", "approved"]))
    # APS serves the Gulf (its capability matrix): a card of no known issuing country, a UAE buyer
    pm = _card(merchant, GULF_CARD, billing_details=UAE_BUYER)

    declined = _pay(live, pm, amount=1000, currency="aed")
    assert declined.status_code == 402, declined.content
    assert sent[0]["card_security_code"] == CVC and sent[0]["eci"] == "ECOMMERCE"
    assert not _held(pm)  # declined: the hold is gone too

    retried = _pay(live, pm, amount=1000, currency="aed")  # the customer tries the same card again
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded", retried.content
    assert "card_security_code" not in sent[1]  # never sent twice, never sent empty

    log = live.get(f"/v1/connectors/{connector.public_id}/logs").json()["data"]
    bodies = [ex["request_body"] for entry in log for ex in entry["exchanges"]]
    assert bodies and all(body.get("card_security_code", "[redacted]") == "[redacted]" for body in bodies)
    assert any("card_security_code" in body for body in bodies)
    for response in (declined, retried):
        assert not WHOLE.search(response.content.decode())
    assert _cvc_hits() == []


@responses.activate
def test_an_unknown_outcome_ends_the_hold_and_the_janitors_answer_needs_no_cvc(client_for, merchant):
    live = client_for(merchant, livemode=True)
    _checkout(merchant)
    sent: list[dict] = []
    responses.add_callback(responses.POST, CKO_PAYMENTS, callback=_checkout_answers(sent, ["timeout"] * 5))
    pm = _card(merchant)
    unknown = _pay(live, pm)
    assert unknown.status_code == 200 and unknown.json()["status"] == "processing", unknown.content
    charge = Charge.objects.get(public_id=unknown.json()["latest_charge"])
    assert charge.status == Charge.Status.UNKNOWN  # for the janitor, which asks; it never re-sends
    assert sent and all(body["source"]["cvv"] == CVC for body in sent)  # the same attempt's retries
    assert not _held(pm)


@responses.activate
def test_failover_within_one_confirm_reuses_the_held_cvc_then_releases_it(client_for, merchant):
    """Checkout.com answers 503 and its payments list shows it never made the payment, so the
    attempt moves to APS, which approves: both attempts of the one confirm carried the CVC (the
    same authorization, not yet complete), and the hold is released after the last."""
    live = client_for(merchant, livemode=True)
    checkout, amazon = _checkout(merchant), _aps(merchant)
    rules = live.post("/v1/routing/rule_sets", {"name": "aed", "activate": True, "rules": [
        {"name": "aed cards", "conditions": {"currency": ["AED"]}, "connectors": [checkout.public_id, amazon.public_id]},
    ]}, format="json")  # fmt: skip
    assert rules.status_code == 200, rules.content
    cko_sent: list[dict] = []
    aps_sent: list[dict] = []

    def checkout_unavailable(request):  # the connector confirms it never got it: 503, no payment made
        cko_sent.append(json.loads(request.body))
        error = {"request_id": "0HL80RJLS76I7", "error_type": "service_unavailable", "error_codes": []}
        return 503, {"Content-Type": "application/json"}, json.dumps(error)

    responses.add_callback(responses.POST, CKO_PAYMENTS, callback=checkout_unavailable)
    responses.add(responses.GET, re.compile(re.escape(f"{CKO_PAYMENTS}?") + ".*"),
                  json={"limit": 10, "skip": 0, "total_count": 0, "data": []})  # fmt: skip
    responses.add_callback(responses.POST, APS_API, callback=_aps_answers(aps_sent, ["approved"]))
    pm = _card(merchant, GULF_CARD, billing_details=UAE_BUYER)
    paid = _pay(live, pm, amount=1000, currency="aed")
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.content
    charges = list(Charge.objects.filter(payment_intent__public_id=paid.json()["id"]).order_by("id"))
    assert [(c.connector_id, c.status) for c in charges] == [
        (checkout.pk, "failed"),
        (amazon.pk, "succeeded"),
    ]
    assert cko_sent and cko_sent[0]["source"]["cvv"] == CVC
    assert aps_sent[0]["card_security_code"] == CVC  # same authorization, next acquirer
    assert not _held(pm)


def test_the_connector_log_redacts_every_providers_cvc_field():
    body = {
        "source": {"type": "card", "cvv": CVC},  # Checkout.com
        "card_security_code": CVC,  # Amazon Payment Services
        "cardData": {"cardCVV": CVC},  # Helcim
        "paymentMethod": {"cvc": CVC, "encryptedSecurityCode": "adyenjs_0_1_25$" + CVC},  # Adyen
        "payment_method_data[card][cvc]": CVC,  # Stripe (form-encoded)
        "amount": 737_00,
    }
    out = json.dumps(redact(body))
    assert not WHOLE.search(out.replace("73700", "")), out
    assert out.count("[redacted]") == 6


def test_a_payment_request_carries_the_held_cvc_on_session_only():
    from apps.connectors.base import PaymentRequest
    from apps.vault.services import CardData

    card = CardData(number="4242424242424242", exp_month=12, exp_year=2034, cvc=CVC)
    assert PaymentRequest(idempotency_key="ch_1", amount=100, currency="EUR", card=card).cvc == CVC
    # a merchant-initiated payment carries no CVC, even one still held
    assert (
        PaymentRequest(idempotency_key="ch_1", amount=100, currency="EUR", card=card, off_session=True).cvc
        is None
    )
    assert (
        PaymentRequest(idempotency_key="ch_1", amount=100, currency="EUR", card=CardData(number="4242")).cvc
        is None
    )
    assert (
        PaymentRequest(idempotency_key="ch_1", amount=100, currency="EUR", card=card, cvc="1234").cvc
        == "1234"
    )
    assert CVC not in repr(PaymentRequest(idempotency_key="ch_1", amount=100, currency="EUR", card=card))


@responses.activate
def test_a_card_token_made_with_its_cvc_pays_through_payment_method_data_with_the_cvc_once(
    client_for, merchant
):
    """``POST /v1/tokens`` (publishable key) with card[cvc], then the intent confirmed with
    ``payment_method_data[card][token]``: the token's hold moved with its vault record."""
    live = client_for(merchant, livemode=True)
    browser = client_for(merchant, kind="publishable", livemode=True)
    _checkout(merchant)
    sent: list[dict] = []
    responses.add_callback(responses.POST, CKO_PAYMENTS, callback=_checkout_answers(sent, ["approved"]))
    token = browser.post(
        "/v1/tokens", {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": CVC}},
        format="json",
    )  # fmt: skip
    assert token.status_code == 200, token.content
    assert not WHOLE.search(token.content.decode())
    assert CvcHold.objects.count() == 1
    paid = live.post(
        "/v1/payment_intents",
        {"amount": 2500, "currency": "eur", "confirm": True,
         "payment_method_data": {"type": "card", "card": {"token": token.json()["id"]}}},
        format="json",
    )  # fmt: skip
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.content
    assert sent[0]["source"]["cvv"] == CVC
    assert not CvcHold.objects.exists()
    assert _cvc_hits() == []


def test_the_hold_costs_the_payment_path_one_delete_and_nothing_when_no_cvc_is_held(client_for, merchant):
    """Statements of a create+confirm (sandbox, test mode): the hold is read in the payment
    method's own query (a join) and released by one DELETE; with no CVC held, no statement
    touches the hold table (the join showed none)."""
    from django.test.utils import CaptureQueriesContext

    api = client_for(merchant)

    def statements(cvc):
        pm = vault_services.payment_method_create_card(
            merchant=merchant, livemode=False, number="4242424242424242", exp_month=12, exp_year=2034, cvc=cvc,
            actor=ACTOR,
        )  # fmt: skip
        with CaptureQueriesContext(connection) as ctx:
            paid = api.post("/v1/payment_intents", {"amount": 2000, "currency": "usd", "payment_method": pm.public_id,
                                                    "confirm": True}, format="json")  # fmt: skip
        assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.content
        return [q["sql"] for q in ctx.captured_queries]

    statements(None)  # warm caches (API key, settings, routing)
    without, held = statements(None), statements(CVC)
    assert [sql for sql in without if "vault_cvchold" in sql and not sql.startswith("SELECT")] == []
    assert all("vault_cvchold" not in sql.split(" WHERE ")[-1] for sql in without)  # only in the join
    assert len(held) == len(without) + 1
    assert [sql for sql in held if sql.startswith("DELETE") and "vault_cvchold" in sql]
    assert not CvcHold.objects.exists()
