"""Amazon Payment Services (PayFort) signatures.

Source: APS "Signature Calculation" (https://paymentservices.amazon.com/docs/developer-resources/signature):
every parameter of the request (or response) except ``signature`` — sorted by name, written
``name=value`` and concatenated without separators — is wrapped in the SHA request phrase (the
response phrase for what APS sends) on both sides and hashed with the account's SHA type
(SHA-256 here); the lower-case hex digest is ``signature``. Nested values (e.g. ``apple_data``)
are not used by this adapter.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def sign(params: Mapping[str, Any], phrase: str, *, algorithm: str = "sha256") -> str:
    text = "".join(f"{key}={params[key]}" for key in sorted(params) if key != "signature")
    return ALGORITHMS[algorithm](f"{phrase}{text}{phrase}".encode()).hexdigest()


def valid(params: Mapping[str, Any], phrase: str, *, algorithm: str = "sha256") -> bool:
    given = str(params.get("signature") or "")
    return bool(given) and hmac.compare_digest(sign(params, phrase, algorithm=algorithm), given.lower())
