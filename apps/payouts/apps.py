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
        from apps.core import clock

        from .services import payouts_settle_due

        # Payout arrivals, on a test clock's time (apps.core.clock).
        clock.register_sweeper(
            "payouts.arrivals", lambda now, scope: payouts_settle_due(now=now, scope=scope), order=40
        )
