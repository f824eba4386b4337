from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "apps.refunds"
    label = "refunds"

    def ready(self):
        from apps.connectors import inbound

        from .services import refund_apply_inbound_event

        inbound.register("refund.", refund_apply_inbound_event)
