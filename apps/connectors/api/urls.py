from django.urls import path

from . import views

urlpatterns = [
    path("providers", views.ProviderListView.as_view(), name="providers"),
    path("connectors", views.ConnectorListCreateView.as_view(), name="connectors"),
    path("connectors/discover", views.ConnectorDiscoverView.as_view(), name="connectors-discover"),
    path("connectors/<str:connector_id>", views.ConnectorDetailView.as_view(), name="connector"),
    path("connectors/<str:connector_id>/test", views.ConnectorTestView.as_view(), name="connector-test"),
    path("connectors/<str:connector_id>/logs", views.ConnectorLogsView.as_view(), name="connector-logs"),
    path(
        "connectors/<str:connector_id>/rotate_credentials",
        views.ConnectorRotateView.as_view(),
        name="connector-rotate",
    ),
    path(
        "connectors/<str:connector_id>/run_settlement",
        views.ConnectorRunSettlementView.as_view(),
        name="connector-run-settlement",
    ),
    path(
        "connectors/<str:connector_id>/complete_rotation",
        views.ConnectorCompleteRotationView.as_view(),
        name="connector-complete-rotation",
    ),
]
