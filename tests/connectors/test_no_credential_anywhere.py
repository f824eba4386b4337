"""After creating, using, testing, rotating and cutting over connector accounts, their credentials
appear nowhere in the clear: no column of any table (the ciphertext aside), no captured log line,
no API response, no admin page, no call-log entry in the cache — the vault's card-number scan,
applied to connector secrets."""

import json
import logging

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.urls import reverse

from apps.connectors.models import Connector
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay
from tests.vault.test_no_card_number_anywhere import _hits, _text_columns

SECRETS = ["whsec_scan_first_secret_0001", "sk_scan_api_key_value_0002", "whsec_scan_rotated_secret_0003"]


def redis_value(client, key) -> str:
    """Whatever a Redis key holds, as text: strings, and the lists, hashes, sets and sorted sets a
    broker or a counter leaves in the same database (a plain GET on those raises WRONGTYPE)."""
    kind = client.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else kind
    reader = {
        "string": client.get,
        "list": lambda k: client.lrange(k, 0, -1),
        "hash": client.hgetall,
        "set": client.smembers,
        "zset": lambda k: client.zrange(k, 0, -1),
    }.get(kind)
    return repr(reader(key)) if reader else ""


@pytest.fixture
def admin_client(client):
    client.force_login(staff_user("admin"))
    return client


def _clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret[:10]}… found in {where}"


def test_no_credential_in_any_column_log_response_cache_or_admin_page(api, merchant, admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    responses = [
        api.post(
            "/v1/connectors",
            {"type": "sandbox", "label": "scanned",
             "credentials": {"webhook_secret": SECRETS[0], "api_key": SECRETS[1]}},
            format="json", HTTP_IDEMPOTENCY_KEY="scan-create",
        )
    ]  # fmt: skip
    con = responses[0].json()["id"]
    responses.append(
        api.post(
            "/v1/routing/rule_sets",
            {"name": "s", "rules": [{"name": "s", "connectors": [con]}], "activate": True},
            format="json",
        )
    )
    responses.append(pay(api, make_card(merchant)))
    responses.append(api.post(f"/v1/connectors/{con}/test"))
    responses.append(
        api.post(
            f"/v1/connectors/{con}/rotate_credentials",
            {"credentials": {"webhook_secret": SECRETS[2]}},
            format="json",
            HTTP_IDEMPOTENCY_KEY="scan-rotate",
        )
    )
    responses.append(api.post(f"/v1/connectors/{con}/complete_rotation"))
    responses.append(api.get(f"/v1/connectors/{con}"))
    responses.append(api.get("/v1/connectors"))
    responses.append(api.get(f"/v1/connectors/{con}/logs"))
    responses.append(api.get("/v1/connectors/discover?currency=usd"))
    # a replay of the create answers the stored (masked) body
    responses.append(
        api.post(
            "/v1/connectors",
            {
                "type": "sandbox",
                "label": "scanned",
                "credentials": {"webhook_secret": SECRETS[0], "api_key": SECRETS[1]},
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="scan-create",
        )
    )
    for response in responses:
        assert response.status_code == 200, response.content
        _clean(response.content.decode(), f"response to {response.request['PATH_INFO']}")

    row = Connector.objects.get(public_id=con)
    assert row.credentials_ciphertext and row.credentials_mask["fields"]["webhook_secret"] == "••••0003"
    columns = _text_columns()
    assert len(columns) > 20
    assert _hits(columns, SECRETS) == []
    # negative control: the scan finds what is stored (the mask, also in the idempotent replay body)
    assert "connectors_connector.credentials_mask" in _hits(columns, ["••••0003"])

    for record in caplog.records:
        _clean(record.getMessage(), f"log {record.name}")
    _clean(caplog.text, "captured log text")

    client = cache.client.get_client() if hasattr(cache, "client") else None
    if client is not None:  # Redis (the suite's CACHE_URL): every key of this run's database
        keys = list(client.scan_iter("*"))
        assert any(b":log:" in key for key in keys)  # the call log is there and scanned
        for key in keys:
            _clean(redis_value(client, key), f"cache key {key!r}")
    _clean(json.dumps(api.get(f"/v1/connectors/{con}/logs").json()), "call log")

    pages = 0
    for model in (Connector, *(m for m in admin.site._registry if m._meta.label == "audit.AuditEntry")):
        opts = model._meta
        changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200
        _clean(changelist.content.decode(), f"admin changelist {opts.label}")
        for obj in model.objects.all()[:30]:
            page = admin_client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
            assert page.status_code == 200
            _clean(page.content.decode(), f"admin page {opts.label} {obj.pk}")
            pages += 1
    assert pages >= 2
