from django.urls import path

from . import clock_views, ops_views, views

urlpatterns = [
    path("test_helpers/simulate", views.SimulateView.as_view(), name="test-helpers-simulate"),
    path(
        "test_helpers/simulations/<str:simulation_id>",
        views.SimulationDetailView.as_view(),
        name="test-helpers-simulation",
    ),
    path(
        "test_helpers/test_clocks", clock_views.TestClockListView.as_view(), name="test-helpers-test-clocks"
    ),
    path(
        "test_helpers/test_clocks/<str:clock_id>",
        clock_views.TestClockDetailView.as_view(),
        name="test-helpers-test-clock",
    ),
    path(
        "test_helpers/test_clocks/<str:clock_id>/advance",
        clock_views.TestClockAdvanceView.as_view(),
        name="test-helpers-test-clock-advance",
    ),
    path("test_helpers/faucet", views.FaucetView.as_view(), name="test-helpers-faucet"),
    path("diagnostics", ops_views.DiagnosticsView.as_view(), name="diagnostics"),
    path("pci/attestation", ops_views.PciAttestationView.as_view(), name="pci-attestation"),
]
