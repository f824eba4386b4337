"""Application errors carry the fields of the one error shape (DESIGN.md §2)."""


class ApplicationError(Exception):
    status = 400
    type = "invalid_request_error"
    default_code = "invalid_request"
    # Whether an idempotent request that ended with this error stores it for replay. Input
    # validation refused before anything ran is not stored, so the client can fix and retry.
    default_stored = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
        type: str | None = None,
        decline_code: str | None = None,
        extra: dict | None = None,
        stored: bool | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.decline_code = decline_code
        self.extra = extra or {}
        self.stored = self.default_stored if stored is None else stored

    def to_dict(self) -> dict:
        body = {"type": self.type, "code": self.code, "message": self.message}
        if self.param:
            body["param"] = self.param
        if self.decline_code:
            body["decline_code"] = self.decline_code
        body.update(self.extra)
        return body


class InvalidRequestError(ApplicationError):
    default_stored = False


class CardError(ApplicationError):
    status = 402
    type = "card_error"
    default_code = "card_declined"


class StateConflictError(ApplicationError):
    default_code = "unexpected_state"


class NotFoundError(ApplicationError):
    status = 404
    default_code = "resource_missing"
    default_stored = False

    def __init__(self, resource: str, id: str, param: str = "id", **kwargs):
        super().__init__(f"No such {resource}: '{id}'", param=param, **kwargs)


class IdempotencyError(ApplicationError):
    type = "idempotency_error"
    default_code = "idempotency_key_reused"
    default_stored = False


class AuthenticationError(ApplicationError):
    status = 401
    type = "authentication_error"
    default_code = "api_key_invalid"
    default_stored = False


class PermissionDeniedError(ApplicationError):
    status = 403
    type = "permission_error"
    default_code = "permission_denied"
    default_stored = False


class RateLimitError(ApplicationError):
    status = 429
    type = "rate_limit_error"
    default_code = "rate_limit"
    default_stored = False


class ApiError(ApplicationError):
    status = 500
    type = "api_error"
    default_code = "api_error"
