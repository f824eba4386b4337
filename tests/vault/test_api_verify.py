import pytest

from apps.audit.models import AuditEntry
from apps.vault.models import MicroDepositVerification, PaymentMethod
from tests.vault.factories import card_payload

pytestmark = pytest.mark.django_db


def _bank(api, kind="us_bank_account"):
    if kind == "us_bank_account":
        payload = {"type": kind, kind: {"routing_number": "110000000", "account_number": "000123456789"}}
    else:
        payload = {"type": kind, kind: {"iban": "DE89370400440532013000"}}
    return api.post("/v1/payment_methods", payload, format="json").json()["id"]


@pytest.mark.parametrize("kind", ["us_bank_account", "sepa_debit"])
def test_microdeposits_verify_bank_account(api, kind):
    pm = _bank(api, kind)
    started = api.post(f"/v1/payment_methods/{pm}/verify", {}, format="json")
    assert started.status_code == 200, started.json()
    verification = started.json()["verification"]
    assert verification["status"] == "pending"
    assert verification["microdeposits"]["attempts_remaining"] == 3
    done = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [45, 32]}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["verification"]["status"] == "verified"
    assert done.json()["verification"]["verified_at"] is not None
    assert AuditEntry.objects.filter(action="payment_method.verified", object_id=pm).exists()


def test_three_wrong_microdeposit_answers_lock_it(api):
    pm = _bank(api)
    api.post(f"/v1/payment_methods/{pm}/verify", {}, format="json")
    for remaining in (2, 1):
        wrong = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [1, 2]}, format="json")
        assert wrong.status_code == 400
        error = wrong.json()["error"]
        assert error["code"] == "payment_method_microdeposit_verification_amounts_mismatch"
        assert error["param"] == "amounts"
        assert f"{remaining} attempt" in error["message"]
    locked = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [1, 2]}, format="json")
    assert locked.json()["error"]["code"] == "payment_method_microdeposit_verification_attempts_exceeded"
    # Even the right answer is refused once locked.
    right = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [32, 45]}, format="json")
    assert right.json()["error"]["code"] == "payment_method_microdeposit_verification_attempts_exceeded"
    assert PaymentMethod.objects.get(public_id=pm).verification_status == "locked"
    assert MicroDepositVerification.objects.get().attempts == 3
    assert api.get(f"/v1/payment_methods/{pm}").json()["verification"]["status"] == "locked"


def test_microdeposit_amounts_validation(api):
    pm = _bank(api)
    early = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [32, 45]}, format="json")
    assert early.json()["error"]["code"] == "payment_method_unexpected_state"
    api.post(f"/v1/payment_methods/{pm}/verify", {}, format="json")
    one = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [32]}, format="json")
    assert one.json()["error"]["code"] == "payment_method_microdeposit_verification_amounts_invalid"
    out_of_range = api.post(f"/v1/payment_methods/{pm}/verify", {"amounts": [320, 45]}, format="json")
    assert out_of_range.status_code == 400
    assert out_of_range.json()["error"]["param"].startswith("amounts")
    assert MicroDepositVerification.objects.get().attempts == 0


def test_card_verification_by_zero_amount_authorization(api):
    pytest.importorskip("apps.connectors.registry")
    pm = api.post("/v1/payment_methods", card_payload(), format="json").json()["id"]
    response = api.post(f"/v1/payment_methods/{pm}/verify", {}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["verification"]["status"] == "verified"
    assert body["verification"]["method"] == "zero_amount_authorization"
    assert AuditEntry.objects.filter(action="vault.detokenize", object_id=pm).exists()


def test_card_verification_decline_is_card_error(api):
    pytest.importorskip("apps.connectors.registry")
    pm = api.post("/v1/payment_methods", card_payload("4000000000000002"), format="json").json()["id"]
    response = api.post(f"/v1/payment_methods/{pm}/verify", {}, format="json")
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["type"] == "card_error"
    assert error["code"] == "card_declined"
    assert error["decline_code"] == "generic_decline"
    assert error["payment_method"]["verification"]["status"] == "failed"
    assert PaymentMethod.objects.get(public_id=pm).verification_status == "failed"


def test_wallets_cannot_be_verified_here(api):
    pm = api.post(
        "/v1/payment_methods", {"type": "paypal", "paypal": {"token": "BA-1"}}, format="json"
    ).json()["id"]
    response = api.post(f"/v1/payment_methods/{pm}/verify", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "payment_method"
