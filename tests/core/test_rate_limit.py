import pytest


@pytest.fixture
def tight_limit(settings):
    # Counters are keyed by the API key's public id, unique across test databases and workers.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"merchant": "3/min"}}


@pytest.mark.django_db
def test_rate_limit_per_key_answers_429_with_retry_after(api, api_other, tight_limit):
    # Pin the clock mid-window: the counter is per one-minute window, and a real clock crossing a
    # minute boundary between requests would (correctly) start a fresh budget.
    import time

    import time_machine

    start = (int(time.time()) // 60 + 1) * 60 + 20
    with time_machine.travel(start, tick=False):
        _exercise(api, api_other)


def _exercise(api, api_other):
    statuses = [api.get("/v1/settings").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("/v1/settings")
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert 0 < int(limited["Retry-After"]) <= 60
    # Another key (another merchant) has its own budget.
    ok = api_other.get("/v1/settings")
    assert ok.status_code == 200
    assert ok["RateLimit-Limit"] == "3"
    assert ok["RateLimit-Remaining"] == "2"
