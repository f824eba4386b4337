import pytest


@pytest.mark.django_db
def test_every_response_has_request_id(client, api):
    assert client.get("/health")["Request-Id"].startswith("req_")
    response = api.get("/v1/settings")
    assert response["Request-Id"].startswith("req_")


@pytest.mark.django_db
def test_error_body_request_id_matches_header(api):
    response = api.get("/v1/api_keys/key_doesnotexist")
    assert response.status_code == 404
    assert response.json()["error"]["request_id"] == response["Request-Id"]
    assert response.json()["error"]["code"] == "resource_missing"


@pytest.mark.django_db
def test_unknown_url_under_v1_is_json_404(api):
    response = api.get("/v1/definitely-not-here")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.django_db
def test_malformed_json_is_400_invalid_request(api):
    response = api.generic("POST", "/v1/api_keys", "{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["type"] == "invalid_request_error"
    assert body["code"] == "parse_error"


@pytest.mark.django_db
def test_unknown_field_on_create_names_param(api):
    response = api.post("/v1/api_keys", {"type": "secret", "colour": "red"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body == {**body, "type": "invalid_request_error", "code": "parameter_unknown", "param": "colour"}


@pytest.mark.django_db
def test_missing_required_param(api):
    response = api.post("/v1/api_keys", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_missing"
    assert response.json()["error"]["param"] == "type"


@pytest.mark.django_db
def test_wrong_type_is_400_with_param(api):
    response = api.patch("/v1/settings", {"settlement_delay_days": "many"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "settlement_delay_days"
    response = api.patch("/v1/settings", {"max_authorization_amount": 12.5}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "max_authorization_amount"
    response = api.patch("/v1/settings", {"allowed_payment_method_types": ["bitcoin"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "allowed_payment_method_types[0]"


@pytest.mark.django_db
def test_list_pagination_is_cursor_based(api, merchant):
    from tests.merchants.factories import api_key_create

    for _ in range(24):
        api_key_create(merchant)
    seen = []
    page = api.get("/v1/api_keys", {"limit": 10}).json()
    assert page["object"] == "list"
    seen += [k["id"] for k in page["data"]]
    while page["has_more"]:
        page = api.get("/v1/api_keys", {"limit": 10, "starting_after": seen[-1]}).json()
        seen += [k["id"] for k in page["data"]]
    assert len(seen) == 25  # 24 + the client's own key
    assert seen == sorted(seen, reverse=True)
    back = api.get("/v1/api_keys", {"limit": 3, "ending_before": seen[10]}).json()
    assert [k["id"] for k in back["data"]] == seen[7:10]
    assert back["has_more"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_list_limit_bounds(api, limit):
    response = api.get("/v1/api_keys", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "limit"


def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_reports_each_dependency(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_ready_is_503_naming_what_failed(client, settings):
    from config.celery import app

    original = app.conf.broker_url, app.conf.broker_write_url
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/ready")
    finally:
        app.conf.broker_url, app.conf.broker_write_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"


def test_openapi_schema_generates_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.django_db
def test_swagger_ui_served(client):
    assert client.get("/v1/docs").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("metadata", "fragment"),
    [
        ({"nested": {"a": 1}}, "nested"),
        ({"x" * 41: "v"}, "x" * 41),
        ({"k": "v" * 501}, "k"),
        ("notadict", ""),
    ],
)
def test_bad_metadata_is_400_naming_the_param(metadata, fragment):
    from apps.core.rest import MetadataField, StrictSerializer

    class Input(StrictSerializer):
        metadata = MetadataField()

    from apps.core.exception_handler import validation_error_body

    data = Input(data={"metadata": metadata})
    assert not data.is_valid()
    from rest_framework.exceptions import ValidationError

    body = validation_error_body(ValidationError(data.errors))
    assert body["param"] == "metadata"
    assert fragment in body["message"]


@pytest.mark.django_db
def test_metrics_endpoint_exposes_prometheus_counters(client, api):
    api.get("/v1/settings")
    body = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body
    assert "django_http_responses_total_by_status_total" in body


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_own_static_files(client):
    page = client.get("/v1/docs").content.decode()
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert (
        client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    )


@pytest.mark.django_db
def test_the_root_is_a_landing_page_linking_docs_admin_and_health(client):
    resp = client.get("/")
    assert resp.status_code == 200
    page = resp.content.decode()
    for link in ('href="/v1/docs"', 'href="/admin/"', 'href="/health"'):
        assert link in page


@pytest.mark.django_db
def test_ready_reports_the_scheduler_heartbeat(client):
    from apps.core.tasks import scheduler_heartbeat_task

    assert client.get("/ready").json()["scheduler_last_heartbeat"] is None
    scheduler_heartbeat_task()
    beat = client.get("/ready").json()["scheduler_last_heartbeat"]
    assert isinstance(beat, int) and beat > 1_700_000_000
