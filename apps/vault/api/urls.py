from django.urls import path

from . import views

urlpatterns = [
    path("customers", views.CustomerListCreateView.as_view(), name="vault-customers"),
    path("customers/search", views.CustomerSearchView.as_view(), name="vault-customers-search"),
    path("customers/<str:customer_id>", views.CustomerDetailView.as_view(), name="vault-customer"),
    path(
        "customers/<str:customer_id>/payment_methods",
        views.CustomerPaymentMethodsView.as_view(),
        name="vault-customer-payment-methods",
    ),
    path("payment_methods", views.PaymentMethodListCreateView.as_view(), name="vault-payment-methods"),
    path(
        "payment_methods/<str:payment_method_id>",
        views.PaymentMethodDetailView.as_view(),
        name="vault-payment-method",
    ),
    path(
        "payment_methods/<str:payment_method_id>/attach",
        views.PaymentMethodAttachView.as_view(),
        name="vault-payment-method-attach",
    ),
    path(
        "payment_methods/<str:payment_method_id>/detach",
        views.PaymentMethodDetachView.as_view(),
        name="vault-payment-method-detach",
    ),
    path(
        "payment_methods/<str:payment_method_id>/verify",
        views.PaymentMethodVerifyView.as_view(),
        name="vault-payment-method-verify",
    ),
    path("tokens", views.TokenCreateView.as_view(), name="vault-tokens"),
    path("tokens/<str:token_id>", views.TokenDetailView.as_view(), name="vault-token"),
]
