from django.urls import path

from . import views

urlpatterns = [
    path("events", views.EventListView.as_view(), name="events"),
    path("events/<str:event_id>", views.EventDetailView.as_view(), name="event"),
    path("webhook_endpoints", views.EndpointListView.as_view(), name="webhook-endpoints"),
    path(
        "webhook_endpoints/retry_failed",
        views.RetryFailedView.as_view(),
        name="webhook-endpoints-retry-failed",
    ),
    path("webhook_endpoints/<str:endpoint_id>", views.EndpointDetailView.as_view(), name="webhook-endpoint"),
    path(
        "webhook_endpoints/<str:endpoint_id>/rotate_secret",
        views.EndpointRotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook_endpoints/<str:endpoint_id>/test",
        views.EndpointTestView.as_view(),
        name="webhook-endpoint-test",
    ),
    path("webhooks/gateway/<str:connector_id>", views.GatewayWebhookView.as_view(), name="gateway-webhook"),
    path(
        "webhooks/gateway/<str:connector_id>/return", views.GatewayReturnView.as_view(), name="gateway-return"
    ),
]
