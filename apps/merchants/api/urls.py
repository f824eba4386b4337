from django.urls import path

from . import views

urlpatterns = [
    path("account", views.AccountView.as_view(), name="account"),
    path("settings", views.SettingsView.as_view(), name="settings"),
    path("api_keys", views.ApiKeyListView.as_view(), name="api-keys"),
    path("api_keys/<str:key_id>", views.ApiKeyDetailView.as_view(), name="api-key"),
    path("api_keys/<str:key_id>/revoke", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
