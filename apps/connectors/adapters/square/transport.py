"""The ``squareup`` SDK's httpx calls, sent through the account's ``ProviderHTTP``.

The SDK (Fern-generated, httpx) takes an ``httpx.Client``; ``ProviderTransport`` is that client's
transport, so every Square call gets our timeouts, the retry policy (GETs only), the connector
log's redaction and ``ProviderHTTPError`` for timeouts / 5xx / 429 (``ProviderAdapter`` turns it
into ``RetryableError``). The SDK's own retries are switched off per call (``max_retries=0``).
"""

from __future__ import annotations

import httpx

from apps.connectors.http import ProviderHTTP

_HOP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})
_DECODED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class ProviderTransport(httpx.BaseTransport):
    def __init__(self, client: ProviderHTTP):
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        content = request.read()
        answer = self._client.request(request.method, str(request.url), data=content or None, headers=headers)
        return httpx.Response(
            answer.status,
            headers={k: v for k, v in answer.headers.items() if k.lower() not in _DECODED_HEADERS},
            content=answer.content,
            request=request,
        )


def httpx_client(client: ProviderHTTP) -> httpx.Client:
    return httpx.Client(transport=ProviderTransport(client), timeout=client.timeout[1])
