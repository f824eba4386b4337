from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "apps.vault"
    label = "vault"

    def ready(self):
        from .expanders import register as register_expanders

        register_expanders()

        from apps.core import clock

        from .services.cvc import cvc_hold_sweep_clock

        clock.register_sweeper("vault.cvc_holds", cvc_hold_sweep_clock, order=5)
