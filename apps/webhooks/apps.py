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
        _connect_worker_signals()


def _connect_worker_signals() -> None:
    """Inside a Celery worker process, deliveries are sent by the process's async sender and
    recorded in the background (apps/webhooks/sender.py); at shutdown the requests in flight
    finish and are recorded first (bounded by the delivery timeout)."""
    from celery import signals

    def background_on(**kwargs):
        from . import sender

        sender.set_background(True)

    def drain(**kwargs):
        from django.conf import settings

        from .services import senders_shutdown

        senders_shutdown(timeout=float(getattr(settings, "WEBHOOKS_DELIVERY_TIMEOUT_SECONDS", 15)) + 1)

    # prefork children run worker_process_init; solo and threads pools run in the worker itself.
    signals.worker_process_init.connect(background_on, weak=False)
    signals.worker_init.connect(background_on, weak=False)
    signals.worker_process_shutdown.connect(drain, weak=False)
    signals.worker_shutdown.connect(drain, weak=False)
