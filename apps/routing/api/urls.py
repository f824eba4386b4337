from django.urls import path

from . import views

urlpatterns = [
    path("routing/rule_sets", views.RuleSetListCreateView.as_view(), name="routing-rule-sets"),
    path("routing/rule_sets/<str:rule_set_id>", views.RuleSetDetailView.as_view(), name="routing-rule-set"),
    path(
        "routing/rule_sets/<str:rule_set_id>/activate",
        views.RuleSetActivateView.as_view(),
        name="routing-rule-set-activate",
    ),
    path(
        "routing/rule_sets/<str:rule_set_id>/deactivate",
        views.RuleSetDeactivateView.as_view(),
        name="routing-rule-set-deactivate",
    ),
    path("routing/evaluate", views.EvaluateView.as_view(), name="routing-evaluate"),
]
