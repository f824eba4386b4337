from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "apps.intents"
    label = "intents"

    def ready(self):
        from apps.connectors import inbound

        from .services import charge_apply_inbound_event

        # The charge events intents applies; other charge.* types (charge.dispute.*) belong to
        # no app yet and are stored as ignored with their type.
        for event_type in ("charge.succeeded", "charge.authorized", "charge.failed"):
            inbound.register(event_type, charge_apply_inbound_event)
