from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"

    def ready(self):
        from apps.core import clock

        from .services import deliveries_sweep_clock

        # Retries of the deliveries that run on a test clock, on its time (apps.core.clock); last,
        # so the events the other sweepers recorded are delivered within the same advance.
        clock.register_sweeper("webhooks.retries", deliveries_sweep_clock, order=90)
