"""The shared provider HTTP client (timeouts, retries only where idempotent, 5xx/timeouts as
RetryableError with outcome_unknown, redaction) and the boundary money conversions."""

from decimal import Decimal

import pytest
import requests
import responses

from apps.connectors import money
from apps.connectors.http import ProviderHTTP, ProviderHTTPError, capture_exchanges

SECRET = "sk_live_51Hshared_http_secret_value"


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(ProviderHTTP, "_sleep", staticmethod(lambda attempt: None))


def _http(**kwargs):
    return ProviderHTTP(provider="acme", base_url="https://api.acme.test", secrets=[SECRET], **kwargs)


@responses.activate
def test_a_read_timeout_on_a_write_is_not_retried_and_its_outcome_is_unknown():
    responses.add(responses.POST, "https://api.acme.test/v1/pay", body=requests.exceptions.ReadTimeout())
    with pytest.raises(ProviderHTTPError) as caught:
        _http().request("POST", "/v1/pay", json_body={"amount": 100})
    error = caught.value.retryable()
    assert (error.code, error.outcome_unknown) == ("timeout", True)
    assert len(responses.calls) == 1


@responses.activate
def test_an_idempotent_write_is_retried_after_a_503_and_answers_the_retry():
    url = "https://api.acme.test/v1/pay"
    responses.add(responses.POST, url, status=503, json={"error": "busy"})
    responses.add(responses.POST, url, status=200, json={"id": "pay_1"})
    answer = _http().request("POST", "/v1/pay", json_body={"amount": 100}, idempotent=True,
                             headers={"Idempotency-Key": "k1"})  # fmt: skip
    assert answer.json() == {"id": "pay_1"} and len(responses.calls) == 2
    assert all(call.request.headers["Idempotency-Key"] == "k1" for call in responses.calls)


@responses.activate
def test_retries_are_bounded_and_a_final_5xx_is_an_unknown_outcome():
    url = "https://api.acme.test/v1/status"
    for _ in range(3):
        responses.add(responses.GET, url, status=502)
    with pytest.raises(ProviderHTTPError) as caught:
        _http(max_retries=2).request("GET", "/v1/status")
    assert len(responses.calls) == 3
    assert (caught.value.code, caught.value.outcome_unknown, caught.value.http_status) == (
        "provider_error",
        True,
        502,
    )


@responses.activate
def test_a_connect_timeout_is_retried_even_for_a_write_because_nothing_was_sent():
    url = "https://api.acme.test/v1/pay"
    responses.add(responses.POST, url, body=requests.exceptions.ConnectTimeout())
    responses.add(responses.POST, url, json={"id": "pay_2"})
    assert _http().request("POST", "/v1/pay", json_body={}).json() == {"id": "pay_2"}


@responses.activate
def test_a_4xx_is_the_providers_answer_not_an_error_and_429_is_rate_limited():
    responses.add(
        responses.POST, "https://api.acme.test/v1/pay", status=402, json={"error": {"code": "card_declined"}}
    )
    responses.add(responses.POST, "https://api.acme.test/v1/other", status=429)
    assert _http().request("POST", "/v1/pay").status == 402
    with pytest.raises(ProviderHTTPError) as caught:
        _http().request("POST", "/v1/other")
    assert caught.value.code == "rate_limited" and caught.value.outcome_unknown is False


@responses.activate
def test_the_exchange_log_never_holds_credentials_or_card_data():
    responses.add(responses.POST, "https://api.acme.test/v1/pay", json={"id": "pay_3", "echo": SECRET,
                  "card": {"number": "4111111111111111", "last4": "1111"}})  # fmt: skip
    with capture_exchanges() as log:
        _http().request(
            "POST", f"/v1/pay?key={SECRET}",
            data={"card[number]": "4111111111111111", "card[cvc]": "123", "note": f"key {SECRET}"},
            headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": SECRET},
        )  # fmt: skip
    text = repr(log)
    assert SECRET not in text and "4111111111111111" not in text and "'123'" not in text
    assert log[0]["status"] == 200 and log[0]["response_body"]["card"]["last4"] == "1111"
    assert log[0]["request_headers"]["Authorization"] == "[redacted]"


def test_money_crosses_in_the_currencys_own_decimals_without_floats():
    assert money.major_str(1050, "EUR") == "10.50"
    assert money.major_str(10500, "IQD") == "10.500" and money.major_str(1, "KWD") == "0.001"
    assert money.major_str(500, "JPY") == "500"
    assert money.to_major(123456789, "KWD") == Decimal("123456.789")
    assert money.from_major("10.5", "IQD") == 10500 and money.from_major("0.001", "KWD") == 1
    with pytest.raises(money.AmountPrecisionError):
        money.from_major("10.0001", "KWD")
    with pytest.raises(money.AmountPrecisionError):
        money.from_major(10.5, "EUR")
    assert money.to_provider_minor(1000, "KWD", exponents={"KWD": 2}) == 100
    with pytest.raises(money.AmountPrecisionError):
        money.to_provider_minor(1001, "KWD", exponents={"KWD": 2})
    assert money.from_provider_minor(100, "KWD", exponents={"KWD": 2}) == 1000
    assert money.to_provider_minor(500, "ISK", exponents={"ISK": 2}) == 50000
