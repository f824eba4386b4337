from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core import views as core_views
from apps.devtools.graphql import views as devtools_graphql

API_APPS = [
    "core",
    "merchants",
    "vault",
    "connectors",
    "intents",
    "refunds",
    "disputes",
    "files",
    "ledger",
    "payouts",
    "webhooks",
    "approvals",
    "reporting",
    "routing",
    "risk",
    "reconciliation",
    "devtools",
]

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("health", core_views.health, name="health"),
    path("ready", core_views.ready, name="ready"),
    # Prometheus text format, for METRICS_TOKEN (Bearer) or a loopback client.
    path("metrics", core_views.metrics, name="prometheus-django-metrics"),
    path("v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Before the apps' URLs: `payment_intents/bulk` must not be read as a payment intent id.
    path("v1/", include("apps.devtools.api.bulk_urls")),
    # Read-only GraphQL for merchant keys; its GraphiQL page only with DEBUG (apps.devtools.graphql).
    path("graphql", devtools_graphql.graphql_entry, name="graphql"),
    *[path("v1/", include(f"apps.{name}.api.urls")) for name in API_APPS],
    path("sandbox/", include("apps.connectors.sandbox_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.backoffice.views.permission_denied"
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
