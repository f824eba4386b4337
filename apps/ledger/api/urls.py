from django.urls import path

from . import views

urlpatterns = [
    path("balance", views.BalanceView.as_view(), name="balance"),
    path("balance_transactions", views.BalanceTransactionListView.as_view(), name="balance-transactions"),
    path(
        "balance_transactions/<str:balance_transaction_id>",
        views.BalanceTransactionDetailView.as_view(),
        name="balance-transaction",
    ),
]
