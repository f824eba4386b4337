"""PayTabs' two signatures, both hex HMAC-SHA256 with the profile's server key.

* The callback (IPN): the raw JSON body, signed in the ``signature`` header
  (docs.paytabs.com "Callback/IPN"; paytabscom/php-sdk ``is_valid_ipn`` → ``is_genuine``, and the
  recorded IPN of its ``Samples/ResultCallback.php``).
* The customer's return (a form POST to the ``return`` URL: ``tranRef``, ``cartId``,
  ``respStatus``, ``respCode``, ``respMessage``, ``acquirerRRN``, ``acquirerMessage``,
  ``customerEmail``, ``token``, ``signature``): the other fields, empty ones left out, sorted by
  name and URL-encoded as PHP's ``http_build_query`` does (paytabscom/PHP-sample-code and
  php-sdk ``is_valid_redirect``: ``unset(signature); array_filter; ksort; http_build_query``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote_plus


def sign_body(body: bytes, server_key: str) -> str:
    return hmac.new(server_key.encode(), body, hashlib.sha256).hexdigest()


def _php_urlencode(value: str) -> str:
    # PHP's urlencode (RFC 1738, what http_build_query uses): spaces as "+", and "~" encoded,
    # which Python's quote_plus leaves alone.
    return quote_plus(value, safe="").replace("~", "%7E")


def return_query(fields: Mapping[str, str]) -> str:
    """The string PayTabs signs for a return: PHP's array_filter drops "" and "0" values."""
    kept = {k: str(v) for k, v in fields.items() if k != "signature" and str(v) not in ("", "0")}
    return "&".join(f"{_php_urlencode(k)}={_php_urlencode(v)}" for k, v in sorted(kept.items()))


def sign_return(fields: Mapping[str, str], server_key: str) -> str:
    return hmac.new(server_key.encode(), return_query(fields).encode(), hashlib.sha256).hexdigest()


def valid(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected, str(given).strip().lower())
