from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "apps.payouts"
    label = "payouts"

    def ready(self):
        from apps.connectors import inbound

        from .approvals import register_approval_kind
        from .services import payout_apply_inbound_event

        register_approval_kind()
        inbound.register("payout.", payout_apply_inbound_event)
