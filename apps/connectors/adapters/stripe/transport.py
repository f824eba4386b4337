"""The Stripe SDK's HTTP transport: a ``stripe.HTTPClient`` that sends through the account's
``ProviderHTTP`` (apps.connectors.http), so Stripe calls get the shared timeouts, retry rules
(writes retried only with their Idempotency-Key), the error vocabulary and the redacted
connector log, while the SDK still builds every request and parses every answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from apps.connectors.http import ProviderHTTP


class StripeTransport(stripe.HTTPClient):
    name = "clearhouse"

    def __init__(self, http: ProviderHTTP):
        super().__init__()
        self._http = http

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **_):
        headers = dict(headers or {})
        # Stripe replays a write sent twice with one Idempotency-Key: such a write may be repeated.
        idempotent = method.upper() == "GET" or bool(headers.get("Idempotency-Key"))
        response = self._http.request(method, url, data=post_data, headers=headers, idempotent=idempotent)
        return response.content, response.status, response.headers

    def request_stream(self, method, url, headers, post_data=None, **_):
        raise NotImplementedError("Clearhouse does not stream Stripe responses.")

    def close(self):
        return None
