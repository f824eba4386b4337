from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        from . import checks
        from .roles import sync_roles

        checks.register()

        post_migrate.connect(sync_roles, dispatch_uid="clearhouse.sync_roles")
