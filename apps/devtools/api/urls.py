from django.urls import path

from . import views

urlpatterns = [
    path("test_helpers/simulate", views.SimulateView.as_view(), name="test-helpers-simulate"),
    path(
        "test_helpers/simulations/<str:simulation_id>",
        views.SimulationDetailView.as_view(),
        name="test-helpers-simulation",
    ),
]
