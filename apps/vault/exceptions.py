"""Validation failures raised by the pure vault modules (cards, banks, crypto).

These modules import nothing from Django so they can be unit-tested on their own;
the services translate these into the API errors of apps.core.errors
(card problems → 402 card_error, bank problems → 400 invalid_request_error).
"""

from __future__ import annotations


class VaultInputError(Exception):
    """Input that cannot be vaulted; carries the Stripe error code and the offending param."""

    def __init__(self, message: str, *, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, param={self.param!r})"


class CardValidationError(VaultInputError):
    """A card that fails number / expiry / CVC validation (Stripe answers 402 card_error)."""


class BankValidationError(VaultInputError):
    """A bank account (IBAN, routing or account number) that fails validation."""


class VaultKeyError(Exception):
    """Key configuration problem: missing, malformed, or a retired key version still in use."""


class VaultDecryptionError(Exception):
    """Ciphertext or wrapped key failed authentication (wrong key, wrong AAD, or tampering)."""
