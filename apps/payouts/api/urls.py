from django.urls import path

from . import views

urlpatterns = [
    path("bank_accounts", views.BankAccountListView.as_view(), name="bank-accounts"),
    path("bank_accounts/<str:account_id>", views.BankAccountDetailView.as_view(), name="bank-account"),
    path("payout_schedule", views.PayoutScheduleView.as_view(), name="payout-schedule"),
    path("payouts", views.PayoutListView.as_view(), name="payouts"),
    path("payouts/<str:payout_id>", views.PayoutDetailView.as_view(), name="payout"),
    path("payouts/<str:payout_id>/cancel", views.PayoutCancelView.as_view(), name="payout-cancel"),
]
