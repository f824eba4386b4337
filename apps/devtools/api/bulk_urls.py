"""Included before the other apps' `/v1/` URLs in config/urls.py, so `payment_intents/bulk` is not
read as a payment intent id."""

from django.urls import path

from .bulk_views import PAYMENT_INTENTS, REFUNDS

urlpatterns = []
for resource, views in (("payment_intents", PAYMENT_INTENTS), ("refunds", REFUNDS)):
    urlpatterns += [
        path(f"{resource}/bulk", views["collection"].as_view(), name=f"{resource}-bulk"),
        path(f"{resource}/bulk/<str:job_id>", views["detail"].as_view(), name=f"{resource}-bulk-job"),
        path(
            f"{resource}/bulk/<str:job_id>/cancel", views["cancel"].as_view(), name=f"{resource}-bulk-cancel"
        ),
        path(
            f"{resource}/bulk/<str:job_id>/results",
            views["results"].as_view(),
            name=f"{resource}-bulk-results",
        ),
    ]
