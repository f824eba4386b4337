"""Hostile input gets a clear 4xx in the one error shape, naming the parameter, and stores nothing
(issue 12, "500s from input"). One test per class of input, each through the real API."""

import pytest
from django.db import connection
from django.test import Client

from apps.audit.models import AuditEntry
from apps.connectors.services import connector_ensure_sandbox
from apps.core.models import IdempotencyKey
from apps.intents.models import PaymentIntent
from apps.merchants.models import ApiKey, MerchantSettings
from apps.payouts.models import PayoutSchedule
from apps.vault.models import Customer
from apps.webhooks.models import Event, InboundWebhook

BIGINT_MAX = 2**63 - 1


def _stored():
    """Rows a refused request must not have written."""
    return (
        Customer.objects.count(),
        PaymentIntent.objects.count(),
        ApiKey.objects.count(),
        IdempotencyKey.objects.count(),
        InboundWebhook.objects.count(),
        Event.objects.count(),
        AuditEntry.objects.count(),
        list(MerchantSettings.objects.values_list("version", flat=True)),
        list(PayoutSchedule.objects.values_list("minimum_amount", flat=True)),
    )


def assert_refused(resp, status: int, code: str | None = None, param: str | None = None):
    assert resp.status_code == status, (resp.status_code, resp.content[:300])
    error = resp.json()["error"]
    assert set(error) >= {"type", "code", "message", "request_id"}, error
    assert error["type"] == "invalid_request_error", error
    assert error["request_id"] == resp["Request-Id"]
    if code is not None:
        assert error["code"] == code, error
    if param is not None:
        assert error.get("param") == param, error
    return error


DATE_LISTS = [
    "/v1/payment_intents",
    "/v1/charges",
    "/v1/customers",
    "/v1/refunds",
    "/v1/balance_transactions",
    "/v1/events",
    "/v1/payouts",
]


@pytest.mark.parametrize("op", ["gte", "gt", "lte", "lt"])
@pytest.mark.parametrize(
    "raw", ["99999999999999", "-1", "-99999999999999", "--5", "²", "1e9", "abc", "9" * 30]
)
@pytest.mark.parametrize(
    ("path", "param"), [(p, "created") for p in DATE_LISTS] + [("/v1/payouts", "arrival_date")]
)
def test_out_of_range_timestamps_in_date_filters_are_400_naming_the_bracketed_param(
    api, path, param, op, raw
):
    resp = api.get(path, {f"{param}[{op}]": raw})
    assert_refused(resp, 400, "parameter_invalid_integer", f"{param}[{op}]")


def test_timestamps_at_the_edges_of_the_window_still_filter(api):
    api.post("/v1/customers", {"email": "a@example.com"}, format="json")
    assert len(api.get("/v1/customers", {"created[gte]": "0"}).json()["data"]) == 1
    assert api.get("/v1/customers", {"created[gte]": "253402300799"}).json()["data"] == []
    assert api.get("/v1/payouts", {"arrival_date[lte]": "253402300799"}).status_code == 200


@pytest.mark.parametrize("limit", ["²", "--5", "1" * 25])
def test_a_non_ascii_or_huge_limit_is_400(api, limit):
    assert_refused(api.get("/v1/customers", {"limit": limit}), 400, "parameter_invalid_integer", "limit")


NUL, SURROGATE = "\\u0000", "\\ud800"


@pytest.mark.parametrize("bad", [NUL, SURROGATE, "a\\udfffb"])
@pytest.mark.parametrize(
    ("template", "param"),
    [
        ('{{"metadata": {{"note": "x{bad}y"}}}}', "metadata[note]"),
        ('{{"metadata": {{"k{bad}": "v"}}}}', "metadata"),
        ('{{"name": "{bad}"}}', "name"),
        ('{{"email": "a@example.com", "description": "x{bad}"}}', "description"),
    ],
)
def test_nul_and_lone_surrogates_in_json_bodies_are_400_naming_the_param(api, template, param, bad):
    before = _stored()
    resp = api.post(
        "/v1/customers",
        data=template.format(bad=bad),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert_refused(resp, 400, "parameter_invalid", param)
    assert _stored() == before
    # Nothing was kept against the key: the corrected request runs.
    ok = api.post("/v1/customers", {"name": "fine"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert ok.status_code == 200, ok.json()


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("metadata[note]=a%00b", "metadata[note]"),
        ("name=%00", "name"),
        ("metadata[k%00]=v", "metadata[k\\u0000]"),
    ],
)
def test_nul_in_form_bodies_is_400_naming_the_param(api, body, param):
    before = _stored()
    resp = api.post("/v1/customers", data=body, content_type="application/x-www-form-urlencoded")
    assert_refused(resp, 400, "parameter_invalid", param)
    assert _stored() == before


@pytest.mark.parametrize(
    ("path", "query", "param"),
    [
        ("/v1/customers", {"email": "a\x00b"}, "email"),
        ("/v1/customers", {"starting_after": "cus_\x00"}, "starting_after"),
        ("/v1/customers", {"ending_before": "cus_\x00"}, "ending_before"),
        ("/v1/events", {"type": "charge.\x00"}, "type"),
        ("/v1/payment_intents/pi_x", {"client_secret": "\x00"}, "client_secret"),
    ],
)
def test_nul_in_query_parameters_and_cursors_is_400_naming_the_param(api, path, query, param):
    assert_refused(api.get(path, query), 400, "parameter_invalid", param)


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_nul_in_a_path_id_is_400_and_stores_nothing(api, method):
    before = _stored()
    resp = getattr(api, method)("/v1/customers/cus_%00x", HTTP_IDEMPOTENCY_KEY="k2")
    assert_refused(resp, 400, "parameter_invalid", "id")
    assert _stored() == before


def test_nul_in_the_idempotency_key_is_400(api):
    before = _stored()
    resp = api.post("/v1/customers", {"name": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k\x00")
    assert_refused(resp, 400, "parameter_invalid", "Idempotency-Key")
    assert _stored() == before


def test_body_over_the_size_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = _stored()
    big_json = '{"name": "' + "a" * 20_000 + '"}'
    resp = api.post(
        "/v1/customers", data=big_json, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k3"
    )
    assert_refused(resp, 413, "request_too_large")
    big_form = "name=" + "a" * 20_000
    resp = api.post("/v1/customers", data=big_form, content_type="application/x-www-form-urlencoded")
    assert_refused(resp, 413, "request_too_large")
    assert _stored() == before


def test_form_body_over_the_field_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    before = _stored()
    body = "&".join(f"metadata[k{i}]=v" for i in range(101))
    resp = api.post("/v1/customers", data=body, content_type="application/x-www-form-urlencoded")
    assert_refused(resp, 413, "request_too_large")
    assert _stored() == before
    query = "&".join(f"email{i}=a" for i in range(101))
    assert_refused(api.get("/v1/customers?" + query), 413, "request_too_large")


@pytest.mark.django_db
def test_oversized_bodies_to_non_api_paths_are_413_not_500(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = Client()
    resp = client.post(
        "/v1/webhooks/gateway/con_x", data=b"{" + b" " * 20_000 + b"}", content_type="application/json"
    )
    assert_refused(resp, 413, "request_too_large")
    admin = client.post(
        "/admin/login/", data="username=" + "a" * 20_000, content_type="application/x-www-form-urlencoded"
    )
    assert admin.status_code == 413
    assert InboundWebhook.objects.count() == 0


def test_json_nested_deeper_than_the_limit_is_400(api):
    before = _stored()
    resp = api.post(
        "/v1/customers",
        data='{"metadata": ' + "[" * 10_000 + "]" * 10_000 + "}",
        content_type="application/json",
    )
    assert_refused(resp, 400, "parameter_invalid", "metadata")
    bare = api.post("/v1/customers", data="[" * 10_000 + "]" * 10_000, content_type="application/json")
    assert_refused(bare, 400, "parameter_invalid")
    assert _stored() == before
    # Ordinary nesting is untouched: the field itself still judges it.
    shallow = api.post("/v1/customers", data='{"metadata": [[[1]]]}', content_type="application/json")
    assert_refused(shallow, 400, None, "metadata")


@pytest.mark.parametrize("value", [2**63, BIGINT_MAX + 10**6, 10**30, "9" * 40])
@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("patch", "/v1/settings", "max_authorization_amount"),
        ("patch", "/v1/settings", "refund_approval_threshold"),
        ("patch", "/v1/settings", "payout_approval_threshold"),
        ("post", "/v1/payout_schedule", "minimum_amount"),
    ],
)
def test_integers_past_bigint_are_400(api, method, path, field, value):
    api.get("/v1/payout_schedule")
    before = _stored()
    resp = getattr(api, method)(path, {field: value}, format="json")
    assert_refused(resp, 400, "parameter_invalid_integer", field)
    assert _stored() == before


def test_the_largest_bigint_is_still_accepted(api):
    resp = api.patch("/v1/settings", {"refund_approval_threshold": BIGINT_MAX}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["refund_approval_threshold"] == BIGINT_MAX


@pytest.mark.parametrize("expires_at", [253402300800, 2**63, 2**64, -1, 10**30])
def test_api_key_expiry_outside_the_datetime_window_is_400(api, expires_at):
    before = _stored()
    resp = api.post("/v1/api_keys", {"type": "secret", "expires_at": expires_at}, format="json")
    assert_refused(resp, 400, "parameter_invalid_integer", "expires_at")
    assert _stored() == before


def test_api_key_expiry_far_but_inside_the_window_is_kept(api):
    resp = api.post("/v1/api_keys", {"type": "secret", "expires_at": 253402300799}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["expires_at"] == 253402300799
    past = api.post("/v1/api_keys", {"type": "secret", "expires_at": 0}, format="json")
    assert_refused(past, 400, None, "expires_at")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/customers/{id}"),
        ("post", "/v1/payment_intents/{id}/confirm"),
        ("post", "/v1/refunds/{id}/cancel"),
        ("post", "/v1/api_keys/{id}/revoke"),
        ("delete", "/v1/webhook_endpoints/{id}"),
        ("get", "/v1/payouts/{id}"),
    ],
)
@pytest.mark.parametrize("bad_id", ["cus_" + "x" * 300, "pi_" + "y" * 40, "pi_a b", "pi_é", "pi_a.b"])
def test_path_ids_of_the_wrong_shape_are_404_before_anything_is_stored(api, method, path, bad_id):
    before = _stored()
    resp = getattr(api, method)(path.format(id=bad_id), {}, format="json", HTTP_IDEMPOTENCY_KEY="k4")
    error = assert_refused(resp, 404, "resource_missing", "id")
    assert len(error["message"]) < 120
    assert _stored() == before


@pytest.mark.parametrize("currency", ["usd ", " usd", "usd\n", "\tusd", "u sd", "\uff55\uff53\uff44"])
def test_a_currency_that_is_not_exactly_a_code_is_refused(api, currency):
    before = _stored()
    resp = api.post("/v1/payment_intents", {"amount": 1000, "currency": currency}, format="json")
    assert_refused(resp, 400, None, "currency")
    assert _stored() == before


@pytest.mark.parametrize("currency", ["usd", "USD", "Usd"])
def test_a_currency_code_in_any_case_is_accepted(api, currency):
    resp = api.post("/v1/payment_intents", {"amount": 1000, "currency": currency}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["currency"] == "usd"


@pytest.mark.parametrize(
    ("body", "headers", "param"),
    [
        (b'{"id": "evt_\x00"}', {}, "body"),
        (b'{"id": "evt_\\u0000"}', {}, "id"),
        (b'{"data": {"object": {"id": "\\ud800"}}}', {}, "data[object][id]"),
        (b"{}", {"HTTP_X_SIGNATURE": "a\x00b"}, "X-Signature"),
    ],
)
def test_inbound_gateway_callbacks_with_unstorable_text_are_400_and_store_nothing(
    merchant, body, headers, param
):
    connector = connector_ensure_sandbox(merchant=merchant)
    resp = Client().post(
        f"/v1/webhooks/gateway/{connector.public_id}", data=body, content_type="application/json", **headers
    )
    assert_refused(resp, 400, "parameter_invalid", param)
    assert InboundWebhook.objects.count() == 0
    assert not connection.needs_rollback


@pytest.mark.django_db
def test_admin_pages_refuse_nul_in_the_query_string_and_path_without_a_500(admin_client):
    for url in ("/admin/vault/customer/?q=%00", "/admin/vault/customer/%00/change/"):
        resp = admin_client.get(url)
        assert resp.status_code == 400, (url, resp.status_code)


@pytest.mark.parametrize("raw", ["\u00b2", "1" * 30, "-1"])
def test_admin_numeric_filters_and_cursors_ignore_what_is_not_an_integer(admin_client, raw):
    assert admin_client.get("/admin/ledger/journalentry/", {"account": raw}).status_code == 200
    assert admin_client.get("/admin/audit/auditentry/", {"after": raw}).status_code == 200


def test_admin_adjustment_past_bigint_is_a_form_error_not_a_500(client, merchant):
    from django.urls import reverse

    from apps.approvals.models import ApprovalRequest
    from tests.admin.staff import staff_user

    client.force_login(staff_user("finance", "fiona"))
    url = reverse("admin:ledger_account_request_adjustment")
    data = {"merchant": merchant.pk, "currency": "USD", "amount": str(10**30), "reason": "typo"}
    resp = client.post(url, data)
    assert resp.status_code == 200
    assert "amount" in resp.context["form"].errors
    assert ApprovalRequest.objects.count() == 0


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661", "9" * 5000])
def test_numbers_in_text_are_read_as_ascii_digits_only(api, raw):
    """`str.isdigit()` is true for superscripts and Arabic-Indic digits, and `int()` of 5,000 digits
    raises: every place that reads a number from text answers 400 instead."""
    search = api.get("/v1/customers/search", {"query": "email:'a@example.com'", "limit": raw})
    assert_refused(search, 400, "parameter_invalid_integer", "limit")
    etag = api.patch("/v1/settings", {"settlement_delay_days": 3}, format="json", HTTP_IF_MATCH=f'"v{raw}"')
    assert_refused(etag, 400, None, "If-Match")
    split = [
        {"account_type": "partner", "account_id": "p-1", "percentage": raw},
        {"account_type": "partner", "account_id": "p-2", "percentage_bp": 5000},
    ]
    intent = api.post(
        "/v1/payment_intents", {"amount": 1000, "currency": "usd", "split": split}, format="json"
    )
    assert_refused(intent, 400, None, "split[0][percentage]")
    assert PaymentIntent.objects.count() == 0


@pytest.mark.parametrize(
    "row",
    [
        b"EUR,USD,1.1,9999-12-31T23:59:59-23:59",
        b"EUR,USD,1.1,0001-01-01T00:00:00+01:00",
        b"EUR,USD,1.1,2026-02-30T00:00:00",
        b"EUR,USD,1e999999,",
        b"EUR,USD," + b"9" * 40 + b",",
        b"EUR,USD,1e-40,",
        b"EUR,USD,1.1\x00,",
    ],
)
def test_admin_exchange_rate_csv_outside_the_columns_range_is_a_form_error(client, db, row):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from apps.ledger.models import ExchangeRate
    from tests.admin.staff import staff_user

    client.force_login(staff_user("finance", "fiona"))
    upload = SimpleUploadedFile("rates.csv", b"base,quote,rate,as_of\n" + row + b"\n")
    resp = client.post(reverse("admin:ledger_exchangerate_import"), {"file": upload})
    assert resp.status_code == 200
    assert "file" in resp.context["form"].errors
    assert ExchangeRate.objects.count() == 0


@pytest.mark.parametrize("created", [2**70, -(2**70), "\u00b2"])
def test_a_signed_gateway_callback_with_an_impossible_timestamp_is_an_invalid_payload(merchant, created):
    import json

    from apps.connectors.sandbox import SandboxAdapter

    connector = connector_ensure_sandbox(merchant=merchant)
    body = json.dumps(
        {"id": "sbxevt_1", "type": "refund.failed", "created": created, "data": {"reference": "x"}}
    ).encode()
    headers = SandboxAdapter().sign_webhook(body)
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"
    }
    resp = Client().post(
        f"/v1/webhooks/gateway/{connector.public_id}", data=body, content_type="application/json", **extra
    )
    assert_refused(resp, 400, "webhook_invalid_payload")
    assert InboundWebhook.objects.get().error.startswith("invalid_payload")
