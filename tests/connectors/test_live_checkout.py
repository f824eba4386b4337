"""A live-mode merchant takes card payments through its Checkout.com account via the public API:
a 3-D Secure payment (202 Pending with the redirect, then read back after the challenge) refunded
in part, and an authorization captured for less. Checkout.com's answers in the conformance
recordings' shape, replayed at the HTTP layer on the account's own live host
(``https://{environment_subdomain}.api.checkout.com``: Checkout.com's per-account base URLs), so
checkout-sdk's code really runs. A bad ``environment_subdomain`` is refused when the account is
saved, naming the setting."""

import json

import pytest
import responses

from apps.connectors.adapters.checkout.adapter import CheckoutAdapter
from apps.intents.models import Charge
from tests.connectors.adapters.checkout import conformance as cko
from tests.connectors.conformance.recordings import Exchange, replay
from tests.connectors.live import assert_captured_in_ledger, assert_refunded_in_ledger, live_connector
from tests.intents.helpers import make_card

PREFIX = "k7tq2mzx9p"
LIVE = f"https://{PREFIX}.api.checkout.com"
LIVE_KEY = "sk_m73dzbpy7cf3gfd46xr4yj5xo4e"
CREDENTIALS = {"secret_key": LIVE_KEY, "processing_channel_id": cko.CHANNEL}
RETURN_URL = "https://shop.example/checkout/back"
PAY_ID = "pay_mbabizu24mvu3mela5njyhpit4"


@pytest.fixture
def checkout(merchant):
    return live_connector(merchant, "checkout", credentials=CREDENTIALS,
                          config={"environment_subdomain": PREFIX}, label="Checkout.com")  # fmt: skip


def _json(request) -> dict:
    return json.loads(request.body)


def test_a_live_3ds_payment_completes_and_is_refunded_in_part(live, merchant, checkout):
    pending = {"id": PAY_ID, "status": "Pending", "reference": "", "3ds": {"downgraded": False, "enrolled": "Y"},
               "_links": {"self": {"href": f"{LIVE}/payments/{PAY_ID}"},
                          "redirect": {"href": f"https://3ds2.checkout.com/interceptor/{PAY_ID}"}}}  # fmt: skip

    def created(request):
        pending["reference"] = _json(request)["reference"]
        return 202, {"Content-Type": "application/json"}, json.dumps(pending)

    pm = make_card(merchant, "4111111111111111", livemode=True, exp_month=3, exp_year=2030)
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/payments", callback=created)
        confirmed = live.post("/v1/payment_intents", {"amount": 2500, "currency": "eur", "confirm": True,
                                                      "payment_method": pm.public_id, "return_url": RETURN_URL},
                              format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert confirmed.status_code == 200, confirmed.content
    intent = confirmed.json()
    assert intent["status"] == "requires_action" and intent["livemode"] is True
    assert (
        intent["next_action"]["redirect_to_url"]["url"] == f"https://3ds2.checkout.com/interceptor/{PAY_ID}"
    )
    charge = Charge.objects.get(public_id=intent["latest_charge"])
    body = _json(sent)
    assert (body["amount"], body["currency"], body["capture"]) == (2500, "EUR", True)  # minor units
    assert body["reference"] == charge.provider_key and body["processing_channel_id"] == cko.CHANNEL
    assert body["source"] == {
        "type": "card",
        "number": "4111111111111111",
        "expiry_month": 3,
        "expiry_year": 2030,
        "cvv": "123",  # held for the card's first authorization (apps.vault CvcHold), then gone
    }
    assert body["3ds"]["enabled"] is True and body["success_url"] == body["failure_url"] == RETURN_URL
    assert sent.headers["Cko-Idempotency-Key"] == charge.provider_key
    assert sent.headers["Authorization"] == f"Bearer {LIVE_KEY}"

    done = cko._payment(PAY_ID, status="Captured", amount=2500, reference=charge.provider_key,
                        three_ds={"downgraded": False, "enrolled": "Y", "authentication_response": "Y",
                                  "version": "2.2.0"})  # fmt: skip
    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("GET", f"{LIVE}/payments/{PAY_ID}", json=done)])
        completed = live.post(f"/v1/payment_intents/{intent['id']}/3ds/complete", {"result": "authenticated"},
                              format="json")  # fmt: skip
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "succeeded" and completed.json()["amount_received"] == 2500
    charge.refresh_from_db()
    assert (charge.status, charge.gateway_reference) == ("succeeded", PAY_ID)
    assert charge.three_ds["version"] == "2.2.0" and charge.three_ds["authentication_response"] == "Y"
    assert_captured_in_ledger(charge, 2500)

    def refunded(request):
        answer = {"action_id": "act_2f56bhkau5dubequbv5aa6w4qi", "reference": _json(request)["reference"],
                  "_links": {"payment": {"href": f"{LIVE}/payments/{PAY_ID}"}}}  # fmt: skip
        return 202, {"Content-Type": "application/json"}, json.dumps(answer)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/payments/{PAY_ID}/refunds", callback=refunded)
        refund = live.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 1000}, format="json")
        sent = mock.calls[0].request
    assert refund.status_code == 200, refund.content
    assert refund.json()["status"] == "succeeded" and refund.json()["amount"] == 1000
    key = f"{refund.json()['id']}:refund"
    assert _json(sent) == {"amount": 1000, "reference": key} and sent.headers["Cko-Idempotency-Key"] == key
    assert_refunded_in_ledger(refund.json()["id"], 1000)


def test_a_live_authorization_is_captured_for_less(live, merchant, checkout):
    def created(request):
        sent = _json(request)
        assert sent["capture"] is False
        body = cko._payment("pay_4exvlyjezy5efawv6agvq5cfpa", status="Authorized", amount=4000,
                            reference=sent["reference"])  # fmt: skip
        return 201, {"Content-Type": "application/json"}, json.dumps(body)

    pm = make_card(merchant, "4111111111111111", livemode=True)
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{LIVE}/payments", callback=created)
        held = live.post("/v1/payment_intents", {"amount": 4000, "currency": "eur", "capture_method": "manual",
                                                 "payment_method": pm.public_id, "confirm": True,
                                                 "return_url": RETURN_URL}, format="json")  # fmt: skip
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "requires_capture"
    charge = Charge.objects.get(public_id=held.json()["latest_charge"])

    capture_key = f"{charge.public_id}:capture"
    with responses.RequestsMock() as mock:
        replay(mock, [Exchange("POST", f"{LIVE}/payments/pay_4exvlyjezy5efawv6agvq5cfpa/captures", status=202,
                               json={"action_id": "act_pnrlygtcbhauzgagmrf5gg36ni", "reference": capture_key})])  # fmt: skip
        captured = live.post(f"/v1/payment_intents/{held.json()['id']}/capture", {"amount_to_capture": 1500},
                             format="json")  # fmt: skip
        sent = mock.calls[0].request
    assert captured.status_code == 200, captured.content
    assert captured.json()["status"] == "succeeded" and captured.json()["amount_received"] == 1500
    assert _json(sent) == {"amount": 1500, "reference": capture_key}
    assert sent.headers["Cko-Idempotency-Key"] == capture_key
    charge.refresh_from_db()
    assert_captured_in_ledger(charge, 1500)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"environment_subdomain": ""},
        {"environment_subdomain": "cli_k7tq2mzx9p"},  # the client id itself, prefix and all
        {"environment_subdomain": "K7TQ2MZX9P"},
        {"environment_subdomain": "k7tq2mzx9p.evil.example"},
        {"environment_subdomain": "k7tq2mzx9p\n"},
        {"environment_subdomain": "x" * 64},
    ],
)
def test_a_bad_environment_subdomain_is_refused_when_the_account_is_saved(live, config):
    resp = live.post("/v1/connectors", {"type": "checkout", "label": "Checkout.com", "credentials": CREDENTIALS,
                                        "config": config}, format="json")  # fmt: skip
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["code"] == "connector_config_invalid" and error["param"] == "config[environment_subdomain]"
    assert "environment_subdomain" in error["message"]


def test_the_environment_subdomain_is_checked_on_update_and_sets_each_modes_host(live, checkout):
    resp = live.post(f"/v1/connectors/{checkout.public_id}", {"config": {"environment_subdomain": "cli_abc"}},
                     format="json")  # fmt: skip
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "config[environment_subdomain]"
    checkout.refresh_from_db()
    assert checkout.config == {"environment_subdomain": PREFIX}
    for prefix in ("pl-k7tq2mzx9p", "k7tq2mzx9p"):
        CheckoutAdapter.validate_config({"environment_subdomain": prefix}, livemode=True)
    test_mode = CheckoutAdapter(
        credentials={"secret_key": cko.SECRET_KEY}, config={"environment_subdomain": PREFIX}
    )
    live_mode = CheckoutAdapter(
        credentials=CREDENTIALS, livemode=True, config={"environment_subdomain": PREFIX}
    )
    assert test_mode._api().payments._api_client._base_uri == f"https://{PREFIX}.api.sandbox.checkout.com/"
    assert live_mode._api().payments._api_client._base_uri == f"{LIVE}/"


def test_an_account_saved_with_a_bad_subdomain_declines_without_sending_anything(merchant):
    """An account saved before the check: the payment is declined (nothing sent), not left unknown."""
    from apps.connectors.base import PaymentRequest
    from tests.connectors.conformance.recordings import ConformanceCard

    adapter = CheckoutAdapter(
        credentials=CREDENTIALS, livemode=True, config={"environment_subdomain": "cli_x"}
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        result = adapter.authorize(PaymentRequest(idempotency_key="ch_1:authorize", amount=1000, currency="EUR",
                                                  card=ConformanceCard(), three_ds="never"))  # fmt: skip
        assert len(mock.calls) == 0
    assert result.outcome == "declined" and result.decline_code == "processing_error"
