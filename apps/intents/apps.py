from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "apps.intents"
    label = "intents"

    def ready(self) -> None:
        from apps.connectors import inbound
        from apps.connectors.sandbox import sessions

        from .selectors import charge_get_by_action_reference
        from .services import charge_apply_inbound_event, payment_intent_complete_action

        inbound.register("charge.", charge_apply_inbound_event)
        sessions.register(find=charge_get_by_action_reference, complete=payment_intent_complete_action)
