"""The back-office admin site: unfold, staff 2FA (django-otp TOTP), dashboard and global search.

2FA is enforced when `settings.ADMIN_2FA_REQUIRED` is true (the default; `make run` turns it off for
the embedded demo). The setting is read per request, so tests can flip it."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp.forms import OTPAuthenticationFormMixin
from unfold.forms import AuthenticationForm
from unfold.sites import UnfoldAdminSite
from unfold.widgets import BASE_INPUT_CLASSES


def two_factor_required() -> bool:
    return bool(getattr(settings, "ADMIN_2FA_REQUIRED", True))


class OTPLoginForm(OTPAuthenticationFormMixin, AuthenticationForm):
    """Password plus the 6-digit code of the staff member's TOTP device, in one step."""

    otp_device = forms.CharField(required=False, widget=forms.HiddenInput)
    otp_token = forms.CharField(
        required=False,
        label=_("Authentication code"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": " ".join(BASE_INPUT_CLASSES),
            }
        ),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        self.clean_otp(self.get_user())
        return cleaned

    def _chosen_device(self, user):
        # One step: without an explicit choice, use the staff member's (first) authenticator app.
        device = super()._chosen_device(user)
        if device is None:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()
        return device


class BackOfficeSite(UnfoldAdminSite):
    site_title = "Clearhouse back office"
    site_header = "Clearhouse"
    index_title = "Dashboard"
    login_template = "admin/clearhouse_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if two_factor_required():
            is_verified = getattr(request.user, "is_verified", None)
            return bool(is_verified and is_verified())
        return True

    def login(self, request, extra_context=None):
        # Django's AdminSite.login with the form chosen per request (2FA on or off).
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            "two_factor_required": two_factor_required(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return LoginView.as_view(
            authentication_form=OTPLoginForm if two_factor_required() else AuthenticationForm,
            template_name=self.login_template,
            extra_context=context,
        )(request)

    def admin_view(self, view, cacheable=False):
        return super().admin_view(_guard_actions(view), cacheable)

    def get_urls(self):
        from apps.backoffice import views

        extra = [
            path("global-search/", self.admin_view(views.global_search_view), name="global_search"),
        ]
        return extra + super().get_urls()


def _guard_actions(view):
    """A changelist POST naming an action the staff member is not offered answers 403 (Django would
    quietly redirect with "No action selected"), so forbidden actions fail loudly everywhere."""
    model_admin = getattr(view, "__self__", None)
    if model_admin is None or getattr(view, "__name__", "") != "changelist_view":
        return view

    @wraps(view)
    def guarded(request, *args, **kwargs):
        action = request.POST.get("action") if request.method == "POST" else None
        if action and action not in model_admin.get_actions(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded
