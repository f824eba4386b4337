"""ZainCash's signed tokens: every request to ZainCash and every answer it sends back through the
customer's browser is a JWT signed HS256 with the merchant's secret (ZainCash "Payment Gateway
API" v1, as used by its published integrations: the token form field of ``/transaction/init`` and
``/transaction/get``, and the ``token`` query parameter of the redirect back to ``redirectUrl``).

Verification is strict: only HS256 is accepted (no ``none``, no algorithm from the token header),
the signature must match the account's secret, and an expired token (``exp``) is refused.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

ALGORITHM = "HS256"
TOKEN_LIFETIME_SECONDS = 4 * 3600  # ZainCash's examples sign requests for four hours


class TokenError(ValueError):
    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def sign(claims: Mapping[str, Any], secret: str, *, now: int | None = None) -> str:
    issued = int(time.time()) if now is None else now
    payload = {**claims, "iat": issued, "exp": issued + TOKEN_LIFETIME_SECONDS}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify(token: str, secret: str) -> dict[str, Any]:
    """The claims of a token ZainCash signed with ``secret``; raises TokenError."""
    if not token or not isinstance(token, str) or len(token) > 8192:
        raise TokenError("The ZainCash token is missing.", code="signature_missing")
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["iat"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("The ZainCash token has expired.", code="signature_expired") from None
    except jwt.InvalidSignatureError:
        raise TokenError("The ZainCash token's signature does not match.", code="signature_invalid") from None
    except jwt.PyJWTError as exc:
        raise TokenError(
            f"The ZainCash token is malformed ({type(exc).__name__}).", code="signature_invalid"
        ) from None
