"""Back office: endpoint health, delivery log with excerpts, inbound log, audited actions."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.webhooks import services
from apps.webhooks.models import Delivery, InboundWebhook, WebhookEndpoint
from tests.admin.staff import staff_user
from tests.webhooks.factories import fan_out, make_endpoint, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(merchant, receiver):
    receiver.script.append(500)
    endpoint, _ = make_endpoint(merchant, receiver.url)
    [delivery] = fan_out(record(merchant))
    services.delivery_send(delivery_id=delivery.pk)
    [ok] = fan_out(record(merchant, "charge.succeeded"))
    services.delivery_send(delivery_id=ok.pk)
    return endpoint, delivery


def test_support_sees_health_and_the_delivery_log(client, delivered):
    endpoint, delivery = delivered
    client.force_login(staff_user("support"))
    page = client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert endpoint.public_id in html
    assert "50.0% of 1" in html or "100.0% of 1" in html  # one finished, one retrying
    assert "disable_endpoints" not in html  # support may not disable
    detail = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert detail.status_code == 200
    assert "History of changes" in detail.content.decode()
    assert "whsec_" not in detail.content.decode()
    log = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    body = log.content.decode()
    assert log.status_code == 200
    assert delivery.event.public_id in body and "payment_intent.succeeded" in body  # request excerpt
    assert "{&quot;ok&quot;:true}" in body  # response excerpt
    assert client.get(reverse("admin:webhooks_delivery_changelist")).status_code == 200
    assert client.get(reverse("admin:webhooks_inboundwebhook_changelist")).status_code == 200
    assert client.get(reverse("admin:webhooks_event_changelist")).status_code == 200


def test_support_replays_a_delivery_and_it_is_audited(client, delivered):
    _, delivery = delivered
    client.force_login(staff_user("support"))
    resp = client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "replay_deliveries", "_selected_action": [delivery.pk]},
    )
    assert resp.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.schedule_attempt == 0
    assert AuditEntry.objects.filter(
        action="webhook_delivery.replayed", object_id=delivery.public_id
    ).exists()


def test_admin_disables_an_endpoint_through_the_service(client, delivered):
    endpoint, _ = delivered
    client.force_login(staff_user("admin"))
    resp = client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "disable_endpoints", "_selected_action": [endpoint.pk]},
    )
    assert resp.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_reason) == ("disabled", "manual")
    entry = AuditEntry.objects.get(action="webhook_endpoint.disabled", object_id=endpoint.public_id)
    assert entry.actor_type == "staff"
    resp = client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "enable_endpoints", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.status == "enabled"


def test_nobody_edits_deliveries_or_the_inbound_log(client, delivered):
    _, delivery = delivered
    row = InboundWebhook.objects.create(connector_ref="con_x", status="rejected", body="{}")
    client.force_login(staff_user("admin"))
    resp = client.post(reverse("admin:webhooks_delivery_change", args=[delivery.pk]), {"status": "succeeded"})
    assert resp.status_code == 403
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"
    assert (
        client.post(
            reverse("admin:webhooks_inboundwebhook_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert WebhookEndpoint.objects.count() == 1
    services.deliveries_redrive(delivery_ids=[delivery.pk], actor=Actor.system("t"))


@pytest.mark.parametrize(
    ("role", "may_manage", "may_redrive"),
    [
        ("compliance", False, False),
        ("finance", False, False),
        ("support", False, True),
        ("admin", True, True),
    ],
)
def test_endpoint_and_delivery_actions_check_their_permissions(
    client, delivered, role, may_manage, may_redrive
):
    """Enable/disable needs webhooks.manage_webhookendpoint, replay/retry webhooks.redrive_delivery:
    read-only compliance staff can neither disable an endpoint nor re-drive deliveries."""
    endpoint, delivery = delivered
    client.force_login(staff_user(role, f"wh-{role}"))
    endpoints = reverse("admin:webhooks_webhookendpoint_changelist")
    page = client.get(endpoints).content.decode()
    assert ("disable_endpoints" in page) is may_manage and ("enable_endpoints" in page) is may_manage
    assert ("retry_failed_deliveries" in page) is may_redrive
    client.post(endpoints, {"action": "disable_endpoints", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert (endpoint.status == "disabled") is may_manage
    audited = AuditEntry.objects.filter(action="webhook_endpoint.disabled", object_id=endpoint.public_id)
    assert audited.exists() is may_manage
    if may_manage:
        services.webhook_endpoint_set_enabled(
            endpoint_id=endpoint.pk, enabled=True, actor=Actor.system("test"), reason="re-enable"
        )
    deliveries = reverse("admin:webhooks_delivery_changelist")
    assert ("replay_deliveries" in client.get(deliveries).content.decode()) is may_redrive
    client.post(deliveries, {"action": "replay_deliveries", "_selected_action": [delivery.pk]})
    replayed = AuditEntry.objects.filter(action="webhook_delivery.replayed", object_id=delivery.public_id)
    assert replayed.exists() is may_redrive
