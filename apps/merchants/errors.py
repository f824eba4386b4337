"""Errors of merchants, their API keys and settings (apps.core.errors vocabulary)."""

from apps.core.errors import AuthenticationError, PermissionDeniedError, StateConflictError


class ApiKeyRevoked(AuthenticationError):
    code = "api_key_revoked"
    message = "This API key has been revoked."


class ApiKeyExpired(AuthenticationError):
    code = "api_key_expired"
    message = "This API key has expired."


class ApiKeyAlreadyRevoked(StateConflictError):
    code = "api_key_revoked"
    message = "This API key is already revoked."


class AccountSuspended(PermissionDeniedError):
    code = "account_suspended"
    message = "This account is suspended; API requests are refused. Contact support."


class SecretKeyRequired(PermissionDeniedError):
    code = "secret_key_required"
    message = "This API call cannot be made with a publishable API key. Use a secret key on your server."


class InsufficientScope(PermissionDeniedError):
    code = "insufficient_scope"
    message = "The provided key does not have the required permission '{scope}'."
