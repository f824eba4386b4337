"""Back office for events and webhooks: endpoint health, the delivery log with request and
response excerpts, replay / disable / retry actions (audited, through services), and the
inbound gateway callback log. Everything here is read-only except through those actions."""

from django.contrib import admin
from django.db.models import Max, Q
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from apps.audit.history import ConfigHistoryMixin
from apps.backoffice.actions import ConfirmActionMixin, confirm_action
from apps.backoffice.timeline import TimelineEntry, payment_object_ids, timeline_source

from . import services
from .models import Delivery, DeliveryAttempt, Event, InboundWebhook, WebhookEndpoint
from .selectors import endpoint_health


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ConfigHistoryMixin, _ReadOnly, ConfirmActionMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "url",
        "livemode",
        "status",
        "disabled_reason",
        "success_rate",
        "pending",
        "last_failure",
        "failing_since",
        "created_at",
    )
    list_filter = ("status", "disabled_reason", "livemode", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("=public_id", "url", "merchant__name", "=merchant__public_id")
    list_select_related = ("merchant",)
    show_full_result_count = False
    fields = (
        "public_id",
        "merchant",
        "livemode",
        "url",
        "description",
        "enabled_events",
        "api_version",
        "metadata",
        "status",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "previous_secret_expires_at",
        "deleted_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    fields = (*fields, "config_history")
    actions = ["disable_endpoints", "enable_endpoints", "retry_failed_deliveries"]

    def get_queryset(self, request):
        qs = endpoint_health(super().get_queryset(request))
        return qs.annotate(
            last_failure_at=Max(
                "deliveries__last_attempt_at",
                filter=Q(deliveries__last_response_status__isnull=True)
                | ~Q(deliveries__last_response_status__range=(200, 299)),
            )
        )

    def has_change_permission(self, request, obj=None):
        # View-only form; the actions below are the way to change an endpoint.
        return False

    @admin.display(description="success rate")
    def success_rate(self, obj):
        if not obj.deliveries_total:
            return "—"
        return f"{100 * obj.deliveries_succeeded / obj.deliveries_total:.1f}% of {obj.deliveries_total}"

    @admin.display(description="pending")
    def pending(self, obj):
        return obj.deliveries_pending

    @admin.display(description="last failure", ordering="last_failure_at")
    def last_failure(self, obj):
        return obj.last_failure_at or "—"

    # One click, no confirm page: enabling, disabling and re-driving are reversible, and the
    # service writes the audit entry with this fixed reason.
    @confirm_action(
        description="Disable selected endpoints", permissions=["manage"], noun="endpoint", verb="Disabled",
        confirm=False, reason="from the back office",
    )  # fmt: skip
    def disable_endpoints(self, request, endpoint, data, actor):
        services.webhook_endpoint_set_enabled(
            endpoint_id=endpoint.pk, enabled=False, actor=actor, reason=data["reason"]
        )

    @confirm_action(
        description="Enable selected endpoints", permissions=["manage"], noun="endpoint", verb="Enabled",
        confirm=False, reason="from the back office",
    )  # fmt: skip
    def enable_endpoints(self, request, endpoint, data, actor):
        services.webhook_endpoint_set_enabled(
            endpoint_id=endpoint.pk, enabled=True, actor=actor, reason=data["reason"]
        )

    @confirm_action(
        description="Retry failed deliveries of selected endpoints", permissions=["redrive"], noun="endpoint",
        verb="Re-driving the failed deliveries of", confirm=False, reason="from the back office",
    )  # fmt: skip
    def retry_failed_deliveries(self, request, endpoint, data, actor):
        count = services.deliveries_retry_failed(
            merchant=endpoint.merchant, livemode=endpoint.livemode, endpoint_id=endpoint.public_id,
            actor=actor, reason=data["reason"],
        )  # fmt: skip
        return f"Re-driving {count} failed deliveries of"

    def has_manage_permission(self, request):
        return request.user.has_perm("webhooks.manage_webhookendpoint")

    def has_redrive_permission(self, request):
        return request.user.has_perm("webhooks.redrive_delivery")


class DeliveryAttemptInline(TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "attempted_at",
        "outcome",
        "response_status",
        "latency_ms",
        "error",
        "request_body_excerpt",
        "response_body_excerpt",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly, ConfirmActionMixin, ModelAdmin):
    list_display = (
        "public_id",
        "event_link",
        "event_type",
        "endpoint",
        "url",
        "status",
        "attempt_count",
        "last_response_status",
        "last_error",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "livemode", "created_at")
    search_fields = ("=public_id", "=event__public_id", "=endpoint__public_id", "url")
    list_select_related = ("event", "endpoint", "merchant")
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    fields = (
        "public_id",
        "merchant",
        "livemode",
        "event",
        "endpoint",
        "url",
        "status",
        "attempt_count",
        "schedule_attempt",
        "schedule_started_at",
        "next_attempt_at",
        "last_attempt_at",
        "last_response_status",
        "last_error",
        "succeeded_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ["replay_deliveries"]

    @admin.display(description="event", ordering="event__public_id")
    def event_link(self, obj):
        return format_html("<code>{}</code>", obj.event.public_id)

    @admin.display(description="type")
    def event_type(self, obj):
        return obj.event.type

    @confirm_action(
        description="Replay selected deliveries", permissions=["replay"], noun="delivery", verb="Replaying",
        confirm=False, reason="replayed from the back office",
    )  # fmt: skip
    def replay_deliveries(self, request, delivery, data, actor):
        services.deliveries_redrive(delivery_ids=[delivery.pk], actor=actor, reason=data["reason"])

    def has_replay_permission(self, request):
        return request.user.has_perm("webhooks.redrive_delivery")


@admin.register(Event)
class EventAdmin(_ReadOnly, ModelAdmin):
    list_display = ("public_id", "type", "merchant", "livemode", "created_at", "enqueued_at", "fanned_out_at")
    list_filter = ("livemode", "created_at")
    search_fields = ("=public_id", "type", "=merchant__public_id", "=request_id")
    list_select_related = ("merchant",)
    show_full_result_count = False
    date_hierarchy = "created_at"
    readonly_fields = (
        "public_id",
        "merchant",
        "livemode",
        "type",
        "api_version",
        "data",
        "object_id",
        "previous_attributes",
        "request_id",
        "enqueued_at",
        "fanned_out_at",
        "created_at",
    )
    fields = readonly_fields


@admin.register(InboundWebhook)
class InboundWebhookAdmin(_ReadOnly, ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "provider",
        "connector_ref",
        "provider_event_id",
        "event_type",
        "status",
        "result",
        "short_error",
    )
    list_filter = ("status", "provider", "livemode", "created_at")
    search_fields = ("=provider_event_id", "=connector_ref", "=gateway_reference")
    list_select_related = ("connector", "merchant")
    show_full_result_count = False
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "connector",
        "connector_ref",
        "merchant",
        "livemode",
        "provider",
        "provider_event_id",
        "event_type",
        "gateway_reference",
        "status",
        "result",
        "error",
        "duplicate_of",
        "processed_at",
        "remote_ip",
        "headers",
        "body",
    )
    readonly_fields = fields

    @admin.display(description="error")
    def short_error(self, obj):
        return (obj.error or "")[:80]


# --- the payment workbench (apps.backoffice.timeline) --------------------------------------------


def _delivery_summary(delivery: Delivery) -> str:
    """ "we_… (hooks.example.com): failed after 3 attempts, last HTTP 500" for one destination."""
    from urllib.parse import urlsplit

    where = delivery.endpoint.public_id if delivery.endpoint_id else "payment URL"
    host = urlsplit(delivery.url).hostname or delivery.url
    attempts = f"{delivery.attempt_count} attempt{'s' if delivery.attempt_count != 1 else ''}"
    last = f", last HTTP {delivery.last_response_status}" if delivery.last_response_status else ""
    if delivery.status == Delivery.Status.SUCCEEDED:
        state = f"delivered after {attempts}{last}"
    elif delivery.status == Delivery.Status.FAILED:
        state = f"failed after {attempts}{last}{': ' + delivery.last_error if delivery.last_error else ''}"
    elif delivery.next_attempt_at:
        state = f"pending ({attempts}{last}), next attempt {delivery.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    else:
        state = f"pending ({attempts}{last})"
    return f"{where} ({host}): {state}"


@timeline_source("webhooks")
def _webhook_events(intent):
    """The events about the payment (and its charges, refunds, disputes) and, per endpoint, how
    their delivery went: two indexed queries (events by object id, then their deliveries)."""
    events = list(
        Event.objects.filter(
            merchant_id=intent.merchant_id, livemode=intent.livemode, object_id__in=payment_object_ids(intent)
        )
        .only("pk", "public_id", "type", "created_at", "object_id")
        .order_by("id")[:100]
    )
    by_event: dict[int, list[Delivery]] = {}
    deliveries = (
        Delivery.objects.filter(event_id__in=[e.pk for e in events])
        .select_related("endpoint")
        .only("event_id", "endpoint__public_id", "url", "status", "attempt_count", "last_response_status",
              "last_error", "next_attempt_at")
        .order_by("id")
    )  # fmt: skip
    for delivery in deliveries:
        by_event.setdefault(delivery.event_id, []).append(delivery)
    for event in events:
        sent = by_event.get(event.pk, [])
        statuses = {d.status for d in sent}
        if Delivery.Status.FAILED in statuses:
            tone = "danger"
        elif Delivery.Status.PENDING in statuses:
            tone = "warning"
        else:
            tone = "success" if sent else ""
        detail = " · ".join(_delivery_summary(d) for d in sent) or "no endpoint subscribed"
        yield TimelineEntry(
            at=event.created_at, kind="webhook", title=f"Event {event.type} ({event.public_id})", detail=detail,
            tone=tone, url=reverse("admin:webhooks_event_change", args=[event.pk]),
        )  # fmt: skip
