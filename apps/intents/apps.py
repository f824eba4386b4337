from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "apps.intents"
    label = "intents"

    def ready(self):
        from .expanders import register as register_expanders

        register_expanders()
        from apps.connectors import inbound
        from apps.connectors.sandbox import sessions

        from .selectors import charge_get_by_action_reference
        from .services import charge_apply_inbound_event, payment_intent_complete_action

        # The charge events intents applies; charge.dispute.* belong to apps.disputes (the
        # longest prefix wins), other charge.* types are stored as ignored with their type.
        for event_type in ("charge.succeeded", "charge.authorized", "charge.failed"):
            inbound.register(event_type, charge_apply_inbound_event)
        # The sandbox's ACS and wallet pages find and finish the attempt waiting on them here.
        sessions.register(find=charge_get_by_action_reference, complete=payment_intent_complete_action)
