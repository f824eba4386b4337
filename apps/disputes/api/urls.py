from django.urls import path

from . import views

urlpatterns = [
    path("disputes", views.DisputeListView.as_view(), name="disputes"),
    path("disputes/<str:dispute_id>", views.DisputeDetailView.as_view(), name="dispute"),
    path("disputes/<str:dispute_id>/close", views.DisputeCloseView.as_view(), name="dispute-close"),
]
