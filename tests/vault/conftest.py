import base64

import pytest

TEST_K1 = base64.b64encode(b"test-vault-key-one-32-bytes-long").decode()
TEST_K2 = base64.b64encode(b"test-vault-key-two-32-bytes-long").decode()


@pytest.fixture(autouse=True)
def vault_test_keys(settings):
    """Tests use their own keys, never the embedded demo ones."""
    settings.VAULT_KEYS = f"v1:{TEST_K1}"
    settings.VAULT_ACTIVE_KEY_VERSION = ""
    settings.VAULT_FINGERPRINT_KEY = "test-fingerprint-key"
    return settings


@pytest.fixture
def publishable(client_for, merchant):
    return client_for(merchant, kind="publishable")
