from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "apps.merchants"
    label = "merchants"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension
        from .cache import on_change
        from .models import ApiKey, Merchant, MerchantSettings

        for model in (Merchant, MerchantSettings, ApiKey):
            post_save.connect(on_change, sender=model, dispatch_uid=f"hotcache-{model.__name__}")
            post_delete.connect(on_change, sender=model, dispatch_uid=f"hotcache-del-{model.__name__}")
