from django.urls import path

from . import views

urlpatterns = [
    path("refunds", views.RefundListCreateView.as_view(), name="refunds"),
    path("refunds/<str:refund_id>", views.RefundDetailView.as_view(), name="refund"),
    path("refunds/<str:refund_id>/cancel", views.RefundCancelView.as_view(), name="refund-cancel"),
]
