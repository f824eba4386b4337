from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "apps.disputes"
    label = "disputes"

    def ready(self):
        from apps.connectors import inbound

        from .approvals import register_approval_kind
        from .services import dispute_apply_inbound_event

        inbound.register("charge.dispute.", dispute_apply_inbound_event)
        register_approval_kind()
