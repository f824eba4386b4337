from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from apps.core import hotcache

        from .approvals import register_approval_kind
        from .models import FeeSchedule
        from .selectors import FEE_SCHEDULES

        register_approval_kind()

        def fee_schedules_changed(**kwargs):  # the cached fee schedules (selectors.fee_schedule_find)
            hotcache.invalidate([FEE_SCHEDULES])

        post_save.connect(fee_schedules_changed, sender=FeeSchedule, weak=False, dispatch_uid="hotcache-fees")
        post_delete.connect(
            fee_schedules_changed, sender=FeeSchedule, weak=False, dispatch_uid="hotcache-fees-del"
        )

        from apps.core import clock

        from .services import ledger_settle_all_due

        # Pending funds becoming available, on a test clock's time (apps.core.clock).
        clock.register_sweeper(
            "ledger.settlement", lambda now, scope: ledger_settle_all_due(now=now, scope=scope), order=30
        )
