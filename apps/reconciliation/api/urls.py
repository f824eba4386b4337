from django.urls import path

from . import views

urlpatterns = [
    path("settlements", views.SettlementListView.as_view(), name="settlements"),
    path("settlements/sync", views.SettlementSyncView.as_view(), name="settlements-sync"),
    path("settlements/upload", views.SettlementUploadView.as_view(), name="settlements-upload"),
    path("settlements/<str:settlement_id>", views.SettlementDetailView.as_view(), name="settlement"),
    path("reconciliations", views.ReconciliationCreateView.as_view(), name="reconciliations"),
    path(
        "reconciliations/<str:reconciliation_id>",
        views.ReconciliationDetailView.as_view(),
        name="reconciliation",
    ),
    path(
        "reconciliations/<str:reconciliation_id>/discrepancies",
        views.DiscrepancyListView.as_view(),
        name="reconciliation-discrepancies",
    ),
    path(
        "reconciliations/<str:reconciliation_id>/discrepancies/<str:discrepancy_id>/resolve",
        views.DiscrepancyResolveView.as_view(),
        name="reconciliation-discrepancy-resolve",
    ),
]
