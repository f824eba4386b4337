"""Rule sets in the back office: versions (read-only, each one immutable), activate / deactivate
actions, and the rule editor — edit the rules as JSON, paste a payment and see where it goes
(the same decision as a real confirm, nothing executed), then save it as a new version."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from apps.audit.services import Actor
from apps.backoffice.actions import ConfirmActionMixin, confirm_action
from apps.core.errors import ApplicationError

from . import services
from .engine import PaymentDescription
from .models import RuleSet, RuleSetVersion
from .rules import validate_connector_list, validate_rules
from .selectors import routing_context

EXAMPLE_PAYMENT = {"amount": 2000, "currency": "EUR", "payment_method_type": "card", "card_brand": "visa",
                   "card_country": "DE", "metadata": {}}  # fmt: skip


class EditorForm(forms.Form):
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 16, "class": "font-mono w-full"}))
    default_fallback = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "class": "font-mono w-full"}))
    payment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-mono w-full"}),
        required=False,
        help_text="A payment description: amount, currency, payment_method_type, card_brand, card_country, "
        "billing_country, capture_method, metadata, payment_id.",
    )

    def clean_json(self, name):
        try:
            return json.loads(self.cleaned_data[name] or "null")
        except ValueError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None

    def clean_rules(self):
        return self.clean_json("rules")

    def clean_default_fallback(self):
        return self.clean_json("default_fallback")

    def clean_payment(self):
        return self.clean_json("payment")


class VersionInline(TabularInline):
    model = RuleSetVersion
    extra = 0
    can_delete = False
    fields = ("version", "rules", "default_fallback", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RuleSet)
class RuleSetAdmin(ConfirmActionMixin, ModelAdmin):
    list_display = (
        "public_id",
        "merchant",
        "name",
        "active_version",
        "latest_version",
        "livemode",
        "editor_link",
    )
    list_filter = ("livemode",)
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "merchant__name", "name")
    readonly_fields = ("public_id", "merchant", "livemode", "name", "active_version", "latest_version",
                       "activated_at", "created_at", "updated_at", "editor_link")  # fmt: skip
    inlines = [VersionInline]
    actions = ["activate_latest", "deactivate"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="editor")
    def editor_link(self, obj):
        return format_html(
            '<a href="{}">Edit and evaluate</a>', reverse("admin:routing_ruleset_editor", args=[obj.pk])
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/editor/",
                self.admin_site.admin_view(self.editor_view),
                name="routing_ruleset_editor",
            ),
            *super().get_urls(),
        ]

    @confirm_action(
        description="Activate the latest version", permissions=["change"], noun="rule set", verb="Activated"
    )
    def activate_latest(self, request, rule_set, data, actor):
        services.rule_set_activate(rule_set_id=rule_set.pk, actor=actor, reason=data["reason"])

    @confirm_action(description="Deactivate (route by the default fallback)", permissions=["change"],
                    noun="rule set", verb="Deactivated")  # fmt: skip
    def deactivate(self, request, rule_set, data, actor):
        services.rule_set_deactivate(rule_set_id=rule_set.pk, actor=actor, reason=data["reason"])

    def editor_view(self, request, pk: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        rule_set = get_object_or_404(RuleSet.objects.select_related("merchant"), pk=pk)
        latest = rule_set.versions.get(version=rule_set.latest_version)
        initial = {
            "rules": json.dumps(latest.rules, indent=2),
            "default_fallback": json.dumps(latest.default_fallback),
            "payment": json.dumps(EXAMPLE_PAYMENT),
        }
        form = EditorForm(request.POST or None, initial=initial)
        decision, error = None, None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if "save" in request.POST:
                    services.rule_set_update(
                        rule_set_id=rule_set.pk, actor=Actor.staff(request.user), rules=data["rules"],
                        default_fallback=data["default_fallback"] or [],
                    )  # fmt: skip
                    self.message_user(
                        request, f"Saved {rule_set.public_id} as a new version.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(request.path)
                decision = self._evaluate(rule_set, data)
            except ApplicationError as exc:
                error = f"{exc.param or ''} {exc.message}".strip()
            except (TypeError, ValueError) as exc:
                error = f"payment: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rule editor — {rule_set.name} ({rule_set.public_id}, latest v{rule_set.latest_version}, "
            f"active v{rule_set.active_version or '—'})",
            "opts": self.model._meta,
            "rule_set": rule_set,
            "form": form,
            "decision": json.dumps(decision, indent=2) if decision else "",
            "summary": decision,
            "error": error,
        }
        return TemplateResponse(request, "admin/routing/editor.html", context)

    @staticmethod
    def _evaluate(rule_set: RuleSet, data: dict) -> dict:
        """The decision of the pasted payment under the rules in the editor (not saved yet)."""
        from apps.connectors import observe
        from apps.routing.engine import decide

        connectors, _ = routing_context(merchant=rule_set.merchant, livemode=rule_set.livemode)
        known = {c.public_id for c in connectors}
        snapshot = {
            "id": rule_set.public_id,
            "version": "draft",
            "rules": validate_rules(data["rules"], known=known),
            "default_fallback": validate_connector_list(
                data["default_fallback"], "default_fallback", known=known
            ),
        }
        raw = data["payment"] or {}
        if not isinstance(raw, dict):
            raise ValueError("a payment is a JSON object")
        allowed = set(PaymentDescription.__dataclass_fields__)
        payment = PaymentDescription(**{k: v for k, v in raw.items() if k in allowed})
        if not isinstance(payment.amount, int) or not isinstance(payment.currency, str):
            raise ValueError("amount (integer, minor units) and currency are required")
        circuits = observe.circuit_states(known)
        return decide(payment, connectors=connectors, rule_set=snapshot, circuits=circuits).record
