from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "apps.vault"
    label = "vault"

    def ready(self):
        from .expanders import register as register_expanders

        register_expanders()
