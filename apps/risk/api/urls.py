from django.urls import path

from . import views

urlpatterns = [
    path("risk/rules", views.RuleListView.as_view(), name="risk-rules"),
    path("risk/rules/<str:rule_id>", views.RuleDetailView.as_view(), name="risk-rule"),
    path("risk/decisions/<str:decision_id>", views.DecisionDetailView.as_view(), name="risk-decision"),
    path("risk/score", views.ScoreView.as_view(), name="risk-score"),
    path("radar/value_lists", views.ValueListListView.as_view(), name="radar-value-lists"),
    path(
        "radar/value_lists/<str:value_list_id>", views.ValueListDetailView.as_view(), name="radar-value-list"
    ),
    path("radar/value_list_items", views.ValueListItemListView.as_view(), name="radar-value-list-items"),
    path(
        "radar/value_list_items/<str:item_id>",
        views.ValueListItemDetailView.as_view(),
        name="radar-value-list-item",
    ),
    path(
        "radar/early_fraud_warnings",
        views.EarlyFraudWarningListView.as_view(),
        name="radar-early-fraud-warnings",
    ),
    path(
        "radar/early_fraud_warnings/<str:warning_id>",
        views.EarlyFraudWarningDetailView.as_view(),
        name="radar-early-fraud-warning",
    ),
    path("reviews", views.ReviewListView.as_view(), name="reviews"),
    path("reviews/<str:review_id>", views.ReviewDetailView.as_view(), name="review"),
    path("reviews/<str:review_id>/approve", views.ReviewApproveView.as_view(), name="review-approve"),
]
