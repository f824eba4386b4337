"""Connector accounts in the back office: masked credentials, effective capabilities, circuit
state and authorization rate, the latest provider calls (redacted), and the actions test,
rotate credentials, complete the rotation, disable and enable — behind the change permission
(the admin role), each through its service and audited."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from apps.backoffice.actions import ConfirmActionMixin, Outcome, ReasonForm, confirm_action
from apps.backoffice.money import MoneyDisplayMixin
from apps.backoffice.readonly import ReadOnlyAdminMixin

from . import observe, services
from .models import Connector, SandboxTransaction
from .selectors import connector_capabilities


class RotateForm(ReasonForm):
    field = forms.CharField(
        max_length=40, initial="webhook_secret", help_text="The credential field to replace."
    )
    value = forms.CharField(
        max_length=4000,
        min_length=12,
        widget=forms.PasswordInput(render_value=False),
        help_text="The new secret; encrypted at once and only ever shown masked.",
    )


@admin.register(Connector)
class ConnectorAdmin(ConfirmActionMixin, ModelAdmin):
    list_display = (
        "public_id", "merchant", "code", "name", "status", "circuit", "authorization_rate", "is_default",
        "livemode", "created_at",
    )  # fmt: skip
    list_filter = ("code", "status", "livemode")
    list_select_related = ("merchant",)
    search_fields = ("=public_id", "merchant__name")
    actions = [
        "test_connectors",
        "disable_connectors",
        "enable_connectors",
        "rotate_credentials",
        "complete_rotation",
    ]
    # credentials are encrypted and never shown back: only their mask
    exclude = (
        "credentials_ciphertext",
        "previous_credentials_ciphertext",
        "credentials_mask",
        "previous_credentials_mask",
    )
    readonly_fields = (
        "public_id", "merchant", "livemode", "code", "name", "status", "is_default", "masked_credentials",
        "credentials_rotated_at", "effective_capabilities", "capabilities", "config", "last_test", "health",
        "recent_calls", "disabled_at", "created_at", "updated_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="circuit")
    def circuit(self, obj):
        return observe.circuit_state(obj.public_id)

    @admin.display(description="auth rate")
    def authorization_rate(self, obj):
        rate = observe.stats(obj.public_id)["authorization_rate"]
        return "—" if rate is None else f"{rate:.1%}"

    @admin.display(description="credentials")
    def masked_credentials(self, obj):
        mask, previous = obj.credentials_mask or {}, obj.previous_credentials_mask or {}
        current = format_html_join(", ", "{}: {}", sorted((mask.get("fields") or {}).items())) or "—"
        text = format_html("{} (fingerprint {})", current, mask.get("fingerprint") or "—")
        if obj.previous_credentials_ciphertext:
            text = format_html(
                "{}; previous still accepted until cut-over: {}", text, previous.get("fingerprint")
            )
        return text

    @admin.display(description="effective capabilities")
    def effective_capabilities(self, obj):
        return format_html_join(
            "",
            "<div><b>{}</b>: {}</div>",
            ((k, "any" if v is None else v) for k, v in connector_capabilities(obj).items()),
        )

    @admin.display(description="health (this cache)")
    def health(self, obj):
        stats = observe.stats(obj.public_id)
        return format_html_join(
            "", "<div>{}: {}</div>", ((k, "—" if v is None else v) for k, v in stats.items())
        )

    @admin.display(description="latest provider calls (redacted)")
    def recent_calls(self, obj):
        rows = observe.call_log(obj.public_id, limit=20)
        if not rows:
            return "—"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (r["created"], r["operation"], r["outcome"], r["duration_ms"], r["provider_request_id"])
                for r in rows
            ),
        )
        return format_html(
            "<table><tr><th>at (unix)</th><th>operation</th><th>outcome</th><th>duration</th>"
            "<th>provider request</th></tr>{}</table>",
            body,
        )

    @confirm_action(description="Test connectivity (read-only)", permissions=["change"], noun="connector",
                    verb="Tested", confirm=False, reason="admin connectivity test")  # fmt: skip
    def test_connectors(self, request, connector, data, actor):
        result = services.connector_test(connector_id=connector.pk, actor=actor)
        return Outcome(
            f"{connector.public_id}: {'ok' if result['ok'] else 'FAILED'} in {result['latency_ms']} ms."
        )

    @confirm_action(description="Disable selected connectors", permissions=["change"], noun="connector", verb="Disabled",
                    help="New payments stop routing to them; captures and refunds of their payments still go to them.")  # fmt: skip
    def disable_connectors(self, request, connector, data, actor):
        services.connector_disable(connector_id=connector.pk, actor=actor, reason=data["reason"])

    @confirm_action(
        description="Enable selected connectors", permissions=["change"], noun="connector", verb="Enabled"
    )
    def enable_connectors(self, request, connector, data, actor):
        services.connector_enable(connector_id=connector.pk, actor=actor, reason=data["reason"])

    @confirm_action(description="Rotate a credential", permissions=["change"], noun="connector", verb="Rotated",
                    form_class=RotateForm,
                    help="The previous credentials stay accepted until you complete the rotation.")  # fmt: skip
    def rotate_credentials(self, request, connector, data, actor):
        current = services.connector_credentials(connector)
        services.connector_rotate_credentials(
            connector_id=connector.pk, credentials={**current, data["field"]: data["value"]}, actor=actor,
            reason=data["reason"],
        )  # fmt: skip

    @confirm_action(description="Complete the credential rotation (cut-over)", permissions=["change"],
                    noun="connector", verb="Cut over")  # fmt: skip
    def complete_rotation(self, request, connector, data, actor):
        services.connector_complete_rotation(connector_id=connector.pk, actor=actor, reason=data["reason"])


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(MoneyDisplayMixin, ReadOnlyAdminMixin, ModelAdmin):
    money_fields = ("amount",)
    list_display = ("reference", "operation", "status", "amount_money", "currency", "behaviour", "created_at")
    list_filter = ("operation", "status", "behaviour")
    search_fields = ("=reference", "=parent_reference", "=idempotency_key")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
