"""Live-mode data is never sealed under the repository's demo vault key (apps.vault.crypto),
whatever CLEARHOUSE_ENV says and even if the system checks never ran; test mode keeps working."""

import base64

import pytest

from apps.core import demo_secrets
from apps.payouts.models import BankAccount
from apps.vault import crypto
from apps.vault.errors import VaultDemoKeyRefused
from apps.vault.models import PaymentMethod, Token, VaultRecord
from tests.vault.conftest import TEST_K1
from tests.vault.factories import card_payload

DEMO_KEK_B64 = base64.b64encode(demo_secrets.VAULT_KEK).decode()


@pytest.fixture
def demo_vault_key(settings):
    settings.VAULT_KEYS = demo_secrets.VAULT_KEYS
    settings.VAULT_ACTIVE_KEY_VERSION = ""
    return settings


def assert_refused(response):
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["type"] == "api_error" and error["code"] == "livemode_unavailable"
    assert "not configured for live mode" in error["message"]
    assert "ZGVt" not in response.content.decode()  # no key material in the answer


@pytest.mark.django_db
def test_live_mode_card_under_the_demo_key_is_refused_and_nothing_is_stored(
    demo_vault_key, client_for, merchant, caplog
):
    live = client_for(merchant, livemode=True)
    assert_refused(live.post("/v1/payment_methods", card_payload(), format="json"))
    assert_refused(
        live.post(
            "/v1/tokens",
            {"card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2033, "cvc": "314"}},
            format="json",
        )
    )
    assert not VaultRecord.objects.exists()
    assert not PaymentMethod.objects.exists() and not Token.objects.exists()
    assert "Refused a live-mode vault write: vault key v1 is the demo key" in caplog.text


@pytest.mark.django_db
def test_live_mode_bank_account_under_the_demo_key_is_refused(demo_vault_key, client_for, merchant):
    live = client_for(merchant, livemode=True)
    body = {"currency": "usd", "routing_number": "110000000", "account_number": "000123456789"}
    assert_refused(live.post("/v1/bank_accounts", {**body, "account_holder_name": "Acme"}, format="json"))
    assert not BankAccount.objects.exists()


@pytest.mark.django_db
def test_test_mode_keeps_working_under_the_demo_key(demo_vault_key, client_for, merchant):
    test = client_for(merchant)
    response = test.post("/v1/payment_methods", card_payload(), format="json")
    assert response.status_code == 200, response.content
    assert VaultRecord.objects.get().kek_version == "v1"


@pytest.mark.django_db
def test_the_demo_key_under_another_version_name_is_refused_too(settings, client_for, merchant):
    settings.VAULT_KEYS = f"v1:{TEST_K1},v9:{DEMO_KEK_B64}"
    live = client_for(merchant, livemode=True)
    assert_refused(live.post("/v1/payment_methods", card_payload(), format="json"))
    # With a fresh key active, live mode works (the demo key may stay for reading old test data).
    settings.VAULT_ACTIVE_KEY_VERSION = "v1"
    assert live.post("/v1/payment_methods", card_payload(), format="json").status_code == 200
    assert VaultRecord.objects.get(livemode=True).kek_version == "v1"


def test_a_live_record_is_never_rewrapped_under_the_demo_key():
    ring = crypto.KeyRing.from_config(f"v1:{TEST_K1},v2:{DEMO_KEK_B64}", "v1")
    envelope = crypto.encrypt(b"4242424242424242", aad=b"r", livemode=True, keyring=ring)
    with pytest.raises(VaultDemoKeyRefused):
        crypto.rewrap(envelope, to_version="v2", livemode=True, keyring=ring)
    with pytest.raises(VaultDemoKeyRefused):
        crypto.encrypt(
            b"x", aad=b"r", livemode=True, keyring=crypto.KeyRing.from_config(f"v2:{DEMO_KEK_B64}")
        )
    # Test-mode data may use it (the demo), and a rewrap away from it is always allowed.
    test_env = crypto.encrypt(b"x", aad=b"r", keyring=crypto.KeyRing.from_config(f"v2:{DEMO_KEK_B64}"))
    assert crypto.rewrap(test_env, to_version="v1", livemode=True, keyring=ring).kek_version == "v1"
