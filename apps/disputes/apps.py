import datetime

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
        from apps.core import clock

        from .services import disputes_run_deadlines

        # Reminders and the loss at due_by, on a test clock's time (apps.core.clock).
        # Stepped by 12 hours, so an advance past due_by sends the T-24 h reminder before the loss.
        clock.register_sweeper(
            "disputes.deadlines",
            lambda now, scope: disputes_run_deadlines(now=now, scope=scope),
            order=20,
            step=datetime.timedelta(hours=12),
        )
