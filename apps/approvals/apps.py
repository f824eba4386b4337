from django.apps import AppConfig
from django.db.models.signals import post_save


class ApprovalsConfig(AppConfig):
    name = "apps.approvals"
    label = "approvals"

    def ready(self):
        from .bridges import on_refund_saved
        from .executors import register_default_kinds

        register_default_kinds()
        post_save.connect(on_refund_saved, sender="refunds.Refund", dispatch_uid="approvals.refund_bridge")
