"""Risk: rule sets, scores, decisions, reviews and overrides (issue 17)."""

from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "apps.risk"
    label = "risk"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from apps.intents import hooks
        from apps.webhooks.catalog import register_event_types

        from .approvals import register_approval_kind
        from .cache import on_change
        from .models import ValueList, ValueListItem
        from .payloads import charge_payload_extend
        from .selectors import decisions_prefetch
        from .services import review_capture_guard, risk_after_authorization, risk_pre_authorization

        for model in (ValueList, ValueListItem):  # the members cache (apps/risk/cache.py)
            post_save.connect(on_change, sender=model, dispatch_uid=f"risk-lists-{model.__name__}")
            post_delete.connect(on_change, sender=model, dispatch_uid=f"risk-lists-del-{model.__name__}")
        hooks.register_pre_authorization(risk_pre_authorization)
        hooks.register_after_authorization(risk_after_authorization)
        hooks.register_capture_guard(review_capture_guard)
        hooks.register_charge_payload(charge_payload_extend)
        hooks.register_charge_prefetch(decisions_prefetch)
        register_approval_kind()
        register_event_types("review.opened", "review.closed")  # Stripe's Radar review events
        # The issuer's fraud reports, relayed by the acquirer (apps.risk.services.warnings).
        from apps.connectors import inbound

        from .services.warnings import early_fraud_warning_apply_inbound_event

        inbound.register("radar.early_fraud_warning.", early_fraud_warning_apply_inbound_event)
        register_event_types("radar.early_fraud_warning.created")
