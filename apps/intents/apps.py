from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "apps.intents"
    label = "intents"

    def ready(self):
        from .expanders import register as register_expanders

        register_expanders()
        from apps.connectors import inbound, returns
        from apps.connectors.sandbox import sessions
        from apps.routing import describe

        from .selectors import (
            charge_customer_return_url,
            charge_gateway_reference_by_key,
            charge_get_by_action_reference,
        )
        from .services import charge_apply_inbound_event, payment_intent_complete_action
        from .services.inbound import handled_types

        # The charge events intents applies; charge.dispute.* belong to apps.disputes (the
        # longest prefix wins), other charge.* types are stored as ignored with their type.
        for event_type in handled_types():
            inbound.register(event_type, charge_apply_inbound_event)
        # The sandbox's ACS and wallet pages find and finish the attempt waiting on them here.
        sessions.register(find=charge_get_by_action_reference, complete=payment_intent_complete_action)
        # A provider's hosted page sends the customer back through Clearhouse, then on to here.
        returns.register(charge_customer_return_url)
        # An unsigned return that names only our key (Telr) is read back by the order we stored.
        returns.register_reference(charge_gateway_reference_by_key)
        # Routing's dry run (POST /v1/routing/evaluate) describes saved payment methods through us.
        describe.register(_payment_method_facts)
        # A test clock's advance expires its authorizations with the beat task's code (apps.core.clock).
        from apps.core import clock

        from .services import payment_intents_expire_authorizations

        clock.register_sweeper(
            "intents.authorization_expiry",
            lambda now, scope: payment_intents_expire_authorizations(now=now, scope=scope),
            order=10,
        )


def _payment_method_facts(*, merchant, livemode: bool, id: str):
    from apps.routing.describe import PaymentMethodFacts

    from .services.payment_methods import payment_method_find

    pm = payment_method_find(merchant=merchant, livemode=livemode, id=id)
    address = (pm.billing_details or {}).get("address") if isinstance(pm.billing_details, dict) else None
    return PaymentMethodFacts(
        type=pm.type,
        card_brand=pm.card_brand or "",
        card_country=pm.card_country or "",
        billing_country=str((address or {}).get("country") or ""),
    )
