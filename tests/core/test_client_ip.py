"""The client address behind the shipped nginx (apps.core.middleware.client_ip_of): X-Real-IP
counts only when the connection comes from a trusted proxy; anyone else's header is ignored."""

import pytest

from apps.audit.models import AuditEntry


def _customer_ip(api, **headers) -> str | None:
    created = api.post("/v1/customers", {"name": "Ada"}, format="json", **headers).json()
    return AuditEntry.objects.filter(object_id=created["id"]).values_list("ip_address", flat=True).first()


@pytest.mark.django_db
def test_behind_the_loopback_proxy_the_client_is_the_real_ip(api):
    assert _customer_ip(api, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9") == "203.0.113.9"


@pytest.mark.django_db
def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(api):
    assert _customer_ip(api, REMOTE_ADDR="198.51.100.7", HTTP_X_REAL_IP="203.0.113.9") == "198.51.100.7"


@pytest.mark.django_db
def test_a_malformed_header_falls_back_to_the_connection(api, settings):
    assert _customer_ip(api, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="not-an-ip") == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _customer_ip(api, REMOTE_ADDR="10.1.2.3", HTTP_X_REAL_IP="203.0.113.10") == "203.0.113.10"
    assert _customer_ip(api, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.11") == "127.0.0.1"
