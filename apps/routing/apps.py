from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "apps.routing"
    label = "routing"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from apps.connectors.models import Connector, connectors_updated

        from .models import RuleSet, RuleSetVersion
        from .selectors import invalidate_routing_context

        # The cached routing context of a tenant (selectors.routing_context): its connector
        # accounts, its active rule set and that version's rules.
        def row_changed(sender, instance, **kwargs):
            if sender is RuleSetVersion:
                instance = instance.rule_set
            invalidate_routing_context([(instance.merchant_id, instance.livemode)])

        def connectors_changed(sender, tenants, **kwargs):
            invalidate_routing_context(tenants)

        for model in (Connector, RuleSet, RuleSetVersion):
            post_save.connect(
                row_changed, sender=model, weak=False, dispatch_uid=f"routing-ctx-{model.__name__}"
            )
            post_delete.connect(
                row_changed, sender=model, weak=False, dispatch_uid=f"routing-ctx-del-{model.__name__}"
            )
        connectors_updated.connect(connectors_changed, weak=False, dispatch_uid="routing-ctx-update")
