"""The checkout-sdk's HTTP client, routed through the account's ``ProviderHTTP``.

``checkout-sdk`` takes a ``requests.Session`` (``HttpClientBuilderInterface.get_client``) and
calls ``session.request(method=, url=, headers=, params=, data=, files=)``. ``ProviderSession``
answers that call through ``apps.connectors.http.ProviderHTTP``, so the SDK's requests get our
timeouts, bounded retries (GETs only: a payment write is never repeated by the HTTP layer — a
timed-out write is resolved by looking the payment up by our reference), the connector log's
redaction, and ``ProviderHTTPError`` for timeouts / 5xx / 429 (which ``ProviderAdapter`` turns into
``RetryableError``). Any other answer goes back to the SDK as a ``requests.Response``.
"""

from __future__ import annotations

import http

import requests
from requests.structures import CaseInsensitiveDict

from apps.connectors.http import ProviderHTTP, ProviderResponse


def to_requests_response(answer: ProviderResponse) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    response._content = answer.content
    response.headers = CaseInsensitiveDict(answer.headers)
    response.url = answer.url
    response.encoding = "utf-8"
    try:
        response.reason = http.HTTPStatus(answer.status).phrase
    except ValueError:
        response.reason = ""
    return response


class ProviderSession:
    """The subset of ``requests.Session`` the SDK uses."""

    def __init__(self, client: ProviderHTTP):
        self._client = client

    def request(self, method, url, headers=None, params=None, data=None, files=None, **_ignored):
        if files:
            raise ValueError("File uploads are not sent through the provider session.")
        answer = self._client.request(method, url, params=params, data=data, headers=headers)
        return to_requests_response(answer)


class ProviderSessionBuilder:
    """``checkout_sdk.http_client_interface.HttpClientBuilderInterface`` over ``ProviderSession``."""

    def __init__(self, client: ProviderHTTP):
        self._session = ProviderSession(client)

    def get_client(self):
        return self._session
