"""The lean middleware stack of /v1/ (apps.core.middleware.ApiStackMiddleware, issue 21): the API
keeps request ids, the security headers, the host check, Content-Length, the unsafe-text guard and
pghistory's context, and runs without sessions, CSRF, Django's auth, OTP or messages; everything
else (the back office) keeps the whole stack."""

import logging

import pytest
from django.test import Client

from apps.core.context import get_request_id
from apps.core.middleware import _StackHandler
from tests.merchants.factories import api_key_create

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture
def secret(merchant):
    return api_key_create(merchant)[1]


@pytest.mark.django_db
def test_api_responses_carry_the_security_headers_request_id_and_length_without_cookies(client, secret):
    resp = client.get("/v1/account", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 200
    for name, value in SECURITY_HEADERS.items():
        assert resp[name] == value, name
    assert resp["Request-Id"].startswith("req_") and len(resp["Request-Id"]) == 28
    assert int(resp["Content-Length"]) == len(resp.content)
    assert not resp.cookies  # no session, no csrftoken
    # the lean stack ran: no session, no messages, no Django auth user set by a middleware
    request = resp.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "_messages")


@pytest.mark.django_db
def test_api_errors_too_carry_the_headers_and_the_request_id_in_the_body(client):
    resp = client.get("/v1/account", HTTP_AUTHORIZATION="Bearer sk_test_nosuchkey")
    assert resp.status_code == 401
    assert resp["X-Frame-Options"] == "DENY" and resp["X-Content-Type-Options"] == "nosniff"
    assert resp.json()["error"]["request_id"] == resp["Request-Id"]


@pytest.mark.django_db
def test_a_post_to_the_api_needs_no_csrf_token_while_the_admin_login_does(merchant, secret, admin_user):
    api = Client(enforce_csrf_checks=True)
    created = api.post(
        "/v1/customers",
        {"email": "a@example.com"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert created.status_code == 200, created.content
    assert not created.cookies

    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/admin/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.cookies  # the back office still has CSRF …
    assert hasattr(page.wsgi_request, "session")  # … and sessions
    refused = browser.post("/admin/login/", {"username": admin_user.username, "password": "password"})
    assert refused.status_code == 403  # no CSRF token: refused


@pytest.mark.django_db
def test_the_back_office_keeps_sessions_auth_and_messages(admin_client):
    resp = admin_client.get("/admin/")
    assert resp.status_code == 200
    request = resp.wsgi_request
    assert hasattr(request, "session") and hasattr(request, "_messages")
    assert request.user.is_authenticated and hasattr(request.user, "is_verified")  # OTP ran
    assert resp["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_host_outside_allowed_hosts_is_refused_on_the_api(client, secret, settings):
    settings.ALLOWED_HOSTS = ["api.clearhouse.test"]
    resp = client.get("/v1/account", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="evil.example")
    assert resp.status_code == 400
    ok = client.get("/v1/account", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="api.clearhouse.test")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_unsafe_text_in_an_api_query_is_refused_by_the_lean_stack(client, secret):
    resp = client.get("/v1/customers?email=a%00b", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "email"
    assert resp["Request-Id"] == resp.json()["error"]["request_id"]


@pytest.mark.django_db
def test_the_warning_of_a_refused_api_request_names_its_request_id(client, secret):
    """django.request's "Not Found: …" line is written inside the request's context (it used to
    come after RequestIdMiddleware had reset it, so it read `[-]`), once, and never holds the key."""
    seen = []

    class Seen(logging.Handler):
        def emit(self, record):
            seen.append((record.getMessage(), get_request_id()))

    handler, logger = Seen(), logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        resp = client.get("/v1/customers/cus_nosuchcustomer", HTTP_AUTHORIZATION=f"Bearer {secret}")
    finally:
        logger.removeHandler(handler)
    assert resp.status_code == 404
    assert seen == [("Not Found: /v1/customers/cus_nosuchcustomer", resp["Request-Id"])]


@pytest.mark.django_db
def test_the_api_stack_is_the_api_middleware_setting(client, secret, settings):
    """The chain is built from API_MIDDLEWARE when the handler loads: a middleware added there
    runs on /v1/ (process_view included) and not on the back office; MiddlewareNotUsed skips."""
    settings.API_MIDDLEWARE = [
        *settings.API_MIDDLEWARE,
        "tests.core.stack_probe.ProbeMiddleware",
        "tests.core.stack_probe.UnusedMiddleware",
    ]
    fresh = Client()  # a new handler reads the settings
    resp = fresh.get("/v1/account", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp["X-Probe"] == "call+view"
    assert "X-Probe" not in fresh.get("/admin/login/")


def test_the_stack_handler_refuses_an_async_only_middleware():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="sync-capable"):
        _StackHandler(["tests.core.stack_probe.AsyncOnlyMiddleware"])
