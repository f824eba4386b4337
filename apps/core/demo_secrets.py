"""The demo values of the secrets (`config/settings.py` defaults, public in this repository).

Fine for `make run` and test mode; never for production or live-mode data. apps.core.checks
refuses them when CLEARHOUSE_ENV=production, and the vault refuses to seal live-mode data under
the demo key-encryption key whatever the environment. Pure: no Django imports.
"""

SECRET_KEY = "clearhouse-insecure-demo-key-change-me-0123456789abcdef"
VAULT_KEYS = "v1:ZGVtby12YXVsdC1rZXktdjEtMzItYnl0ZXMtbG9uZyE="
VAULT_FINGERPRINT_KEY = "demo-fingerprint-key-change-me"
FIELD_ENCRYPTION_KEYS = "v1:ZGVtby1maWVsZC1rZXktdjEtMzItYnl0ZXMtbG9uZyE="

# The raw 32-byte keys inside the demo keyrings, whatever version name they are given.
VAULT_KEK = b"demo-vault-key-v1-32-bytes-long!"
FIELD_KEY = b"demo-field-key-v1-32-bytes-long!"

DEMO_VALUES = {
    "SECRET_KEY": SECRET_KEY,
    "VAULT_KEYS": VAULT_KEYS,
    "VAULT_FINGERPRINT_KEY": VAULT_FINGERPRINT_KEY,
    "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
}
