from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "apps.refunds"
    label = "refunds"

    def ready(self):
        from .expanders import register as register_expanders

        register_expanders()
        from apps.connectors import inbound

        from .approvals import register_approval_kind
        from .services import refund_apply_inbound_event

        register_approval_kind()
        inbound.register("refund.", refund_apply_inbound_event)
