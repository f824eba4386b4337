from django.urls import path

from . import views

urlpatterns = [
    path("payment_intents", views.PaymentIntentListCreateView.as_view(), name="payment-intents"),
    path("payment_intents/search", views.PaymentIntentSearchView.as_view(), name="payment-intents-search"),
    path("payment_intents/<str:intent_id>", views.PaymentIntentDetailView.as_view(), name="payment-intent"),
    path(
        "payment_intents/<str:intent_id>/confirm", views.PaymentIntentConfirmView.as_view(), name="pi-confirm"
    ),
    path(
        "payment_intents/<str:intent_id>/capture", views.PaymentIntentCaptureView.as_view(), name="pi-capture"
    ),
    path("payment_intents/<str:intent_id>/cancel", views.PaymentIntentCancelView.as_view(), name="pi-cancel"),
    path(
        "payment_intents/<str:intent_id>/3ds/complete",
        views.PaymentIntentThreeDSCompleteView.as_view(),
        name="pi-3ds-complete",
    ),
    path(
        "payment_intents/<str:intent_id>/next_action",
        views.PaymentIntentNextActionView.as_view(),
        name="pi-next-action",
    ),
    path(
        "payment_intents/<str:intent_id>/charges", views.PaymentIntentChargesView.as_view(), name="pi-charges"
    ),
    path("charges", views.ChargeListView.as_view(), name="charges"),
    path("charges/<str:charge_id>", views.ChargeDetailView.as_view(), name="charge"),
    path("test/cards", views.TestCardListView.as_view(), name="test-cards"),
]
