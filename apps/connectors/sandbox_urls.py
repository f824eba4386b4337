from django.urls import path

from apps.connectors.sandbox import views

urlpatterns = [
    path("acs/<str:reference>", views.acs_challenge, name="sandbox-acs"),
    path("wallet/<str:reference>", views.wallet, name="sandbox-wallet"),
    path("wallet/<str:reference>/qr.svg", views.wallet_qr, name="sandbox-wallet-qr"),
]
