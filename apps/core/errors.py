"""The error vocabulary: every application error is a class carrying the fields of the one error
shape (DESIGN.md §2) — its ``code``, HTTP ``status``, ``type`` and a ``message`` template.

Each app declares its own errors in ``apps/<app>/errors.py`` as subclasses of the classes below
(Zulip's ``JsonableError`` subclasses), and raises them by name::

    class PaymentIntentUnexpectedState(StateConflictError):
        code = "payment_intent_unexpected_state"
        message = "You cannot {action} this PaymentIntent because it has a status of {status}."

    raise PaymentIntentUnexpectedState(action="capture", status=intent.status)

Keyword arguments that are not fields of the error fill the message template. A message given
positionally replaces the template for that raise. The OpenAPI schema lists each endpoint's error
codes from the classes its view declares (``apps.core.schema.error_responses``).
"""

from __future__ import annotations

import string

_FORMATTER = string.Formatter()


class ApplicationError(Exception):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"
    message = "Invalid request."
    # The parameter the error is about, when the class always names the same one.
    param: str | None = None
    # Whether an idempotent request that ended with this error stores it for replay. Input
    # validation refused before anything ran is not stored, so the client can fix and retry.
    stored = True

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
        type: str | None = None,
        decline_code: str | None = None,
        extra: dict | None = None,
        stored: bool | None = None,
        **fields: object,
    ):
        template = self.message if message is None else message
        if fields:
            missing = {name for _, name, _, _ in _FORMATTER.parse(template) if name} - set(fields)
            if missing:
                raise TypeError(f"{self.__class__.__name__} needs {sorted(missing)} for its message")
            template = template.format(**fields)
        super().__init__(template)
        self.message = template
        self.fields = fields
        if code is not None:
            self.code = code
        if param is not None:
            self.param = param
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.decline_code = decline_code
        self.extra = extra or {}
        if stored is not None:
            self.stored = stored

    def to_dict(self) -> dict:
        body = {"type": self.type, "code": self.code, "message": self.message}
        if self.param:
            body["param"] = self.param
        if self.decline_code:
            body["decline_code"] = self.decline_code
        body.update(self.extra)
        return body


class InvalidRequestError(ApplicationError):
    stored = False


class ParameterMissing(InvalidRequestError):
    code = "parameter_missing"
    message = "A required parameter is missing."


class ParameterInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = "A parameter is invalid."


class ParameterInvalidInteger(InvalidRequestError):
    code = "parameter_invalid_integer"
    message = "This value must be an integer."


class ParameterUnknown(InvalidRequestError):
    code = "parameter_unknown"
    message = "Received unknown parameter: {name}"


class CurrencyInvalid(InvalidRequestError):
    code = "invalid_currency"
    message = "Invalid currency: {currency!r}. Use a three-letter ISO 4217 code such as 'usd'."


class AmountTooLarge(InvalidRequestError):
    code = "amount_too_large"
    message = "Amount must be no more than {maximum}."


class AmountTooSmall(InvalidRequestError):
    code = "amount_too_small"
    message = "Amount must be at least {minimum}."


class RequestTooLarge(InvalidRequestError):
    """The body is over DATA_UPLOAD_MAX_MEMORY_SIZE or has more than DATA_UPLOAD_MAX_NUMBER_FIELDS
    fields (Django refuses to read it: RequestDataTooBig / TooManyFieldsSent)."""

    status = 413
    code = "request_too_large"
    message = "The request is too large: the body or its number of fields is over the limit."


class CardError(ApplicationError):
    status = 402
    type = "card_error"
    code = "card_declined"
    message = "Your card was declined."


class StateConflictError(ApplicationError):
    """The object is in a state that forbids the operation. 400, as Stripe answers."""

    code = "unexpected_state"
    message = "The object is in a state that does not allow this operation."


class PreconditionFailed(StateConflictError):
    """An If-Match precondition did not hold: the object changed since the client read it."""

    status = 412
    code = "precondition_failed"
    message = "The object changed since you read it (ETag mismatch). Fetch it again and retry."


class NotFoundError(ApplicationError):
    status = 404
    code = "resource_missing"
    stored = False

    def __init__(self, resource: str, id: str, param: str = "id", **kwargs):
        super().__init__(f"No such {resource}: '{id}'", param=param, **kwargs)


class IdempotencyError(ApplicationError):
    type = "idempotency_error"
    code = "idempotency_key_reused"
    message = (
        "Keys for idempotent requests can only be used with the same parameters they were first "
        "used with. Try using a key other than '{key}' if you meant to execute a different request."
    )
    stored = False


class IdempotencyKeyInUse(IdempotencyError):
    status = 409
    code = "idempotency_key_in_use"
    message = (
        "There is currently another in-progress request using this Idempotency-Key. Retry after it finishes."
    )


class AuthenticationError(ApplicationError):
    status = 401
    type = "authentication_error"
    code = "api_key_invalid"
    message = "Invalid API key provided."
    stored = False


class PermissionDeniedError(ApplicationError):
    status = 403
    type = "permission_error"
    code = "permission_denied"
    message = "The API key may not perform this request."
    stored = False


class RateLimitError(ApplicationError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit"
    message = "Too many requests."
    stored = False


class ApiError(ApplicationError):
    status = 500
    type = "api_error"
    code = "api_error"
    message = "An unexpected error occurred."
