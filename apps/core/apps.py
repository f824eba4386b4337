from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        from . import checks, hotcache
        from .roles import sync_roles

        checks.register()

        post_migrate.connect(sync_roles, dispatch_uid="clearhouse.sync_roles")
        request_finished.connect(hotcache.request_end, dispatch_uid="clearhouse.hotcache_request_end")
