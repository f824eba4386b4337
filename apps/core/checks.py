"""System checks: production refuses the demo secrets.

The rule: with `CLEARHOUSE_ENV=production`, each of SECRET_KEY, VAULT_KEYS, VAULT_FINGERPRINT_KEY
and FIELD_ENCRYPTION_KEYS still at its demo value (apps.core.demo_secrets; for a keyring: any
entry whose key is the demo key, whatever its version name) is an error (clearhouse.E001-E004):
`manage.py check` / `check --deploy`, `migrate`, the web process (config/wsgi.py) and the Celery
worker and beat (config/celery.py) at start, through `refuse_demo_secrets`, stop. Outside production, `check --deploy` names the same values as
warnings (W001-W004) — the demo (`make run`, tests) keeps working with its keys in test mode.

Whatever the environment, the vault refuses to seal live-mode data under the demo vault key
(apps.vault.crypto), so a skipped check cannot put a live card under a public key.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import demo_secrets

TAG = "clearhouse_secrets"

_IDS = {
    "SECRET_KEY": "001",
    "VAULT_KEYS": "002",
    "VAULT_FINGERPRINT_KEY": "003",
    "FIELD_ENCRYPTION_KEYS": "004",
}
_DEMO_KEYRING_KEYS = {"VAULT_KEYS": demo_secrets.VAULT_KEK, "FIELD_ENCRYPTION_KEYS": demo_secrets.FIELD_KEY}


def is_production() -> bool:
    return str(getattr(settings, "CLEARHOUSE_ENV", "demo")).strip().lower() == "production"


def _keyring_has(value, demo_key: bytes) -> bool:
    if isinstance(value, dict):
        materials = list(value.values())
    else:
        materials = [
            chunk.partition(":")[2].strip() for chunk in str(value or "").split(",") if chunk.strip()
        ]
    for material in materials:
        if isinstance(material, bytes) and material == demo_key:
            return True
        try:
            if base64.b64decode(material, validate=True) == demo_key:
                return True
        except (binascii.Error, ValueError, TypeError):
            continue
    return False


def demo_settings() -> list[str]:
    """The names of the secret settings that still hold their demo value, in a fixed order."""
    found = []
    for name, demo in demo_secrets.DEMO_VALUES.items():
        value = getattr(settings, name, None)
        if name in _DEMO_KEYRING_KEYS:
            if _keyring_has(value, _DEMO_KEYRING_KEYS[name]):
                found.append(name)
        elif value == demo or (isinstance(value, bytes) and value == demo.encode()):
            found.append(name)
    return found


def _message(name: str) -> str:
    return f"{name} is still the demo value from the repository (apps.core.demo_secrets)."


_HINT = "Set it in the environment to a fresh secret (README: Configuration)."


def check_demo_secrets_in_production(app_configs=None, **kwargs):
    if not is_production():
        return []
    return [
        checks.Error(
            _message(name),
            hint=f"{_HINT} CLEARHOUSE_ENV=production refuses every demo secret.",
            id=f"clearhouse.E{_IDS[name]}",
        )
        for name in demo_settings()
    ]


def check_demo_secrets_for_deploy(app_configs=None, **kwargs):
    if is_production():
        return []  # the errors above already name them
    return [
        checks.Warning(
            _message(name),
            hint=f"{_HINT} Fine for the demo; CLEARHOUSE_ENV=production refuses it.",
            id=f"clearhouse.W{_IDS[name]}",
        )
        for name in demo_settings()
    ]


def register() -> None:
    """Called by CoreConfig.ready()."""
    checks.register(check_demo_secrets_in_production, TAG, checks.Tags.security)
    checks.register(check_demo_secrets_for_deploy, TAG, checks.Tags.security, deploy=True)


def refuse_demo_secrets() -> None:
    """Raise ImproperlyConfigured naming every demo secret when in production (web start)."""
    errors = check_demo_secrets_in_production()
    if errors:
        raise ImproperlyConfigured(
            "Refusing to start with demo secrets in production: "
            + "; ".join(f"{error.id}: {error.msg}" for error in errors)
        )
