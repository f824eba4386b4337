"""The worker's log holds no secret (issue 12, "Logs"): a real Celery worker on the Redis broker,
at INFO, delivers signed webhooks (one refused by the receiver, then retried) for a card payment
and a refund made through the API; its whole log is then scanned for the merchant's keys, the
endpoint's signing secret and the card number. The web process's own scan is
tests/core/test_web_process.py."""

import pytest
from django.core.signals import request_started
from django.db import close_old_connections
from django.utils import timezone

from apps.webhooks import services
from apps.webhooks.models import Delivery
from tests.intents.helpers import make_card, pay
from tests.webhooks.helpers import real_broker, wait_until, worker_running

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CARD = "4242424242424242"


@pytest.fixture(autouse=True)
def _keep_test_connection():
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def test_no_key_signing_secret_or_card_number_reaches_the_worker_log(api, merchant, receiver, tmp_path):
    receiver.script.extend([500])  # the first delivery fails and is retried
    with real_broker() as queue, worker_running(queue=queue, tmp_path=tmp_path) as worker:
        endpoint = api.post(
            "/v1/webhook_endpoints", {"url": receiver.url, "enabled_events": ["*"]}, format="json"
        ).json()
        paid = pay(api, make_card(merchant, number=CARD)).json()
        assert paid["status"] == "succeeded", paid
        refund = api.post("/v1/refunds", {"payment_intent": paid["id"], "amount": 100}, format="json")
        assert refund.status_code in (200, 201), refund.content
        receiver.wait_for(2)
        wait_until(
            lambda: Delivery.objects.filter(attempts__response_status=500).exists(),
            message="a refused delivery",
        )
        Delivery.objects.exclude(status="succeeded").update(next_attempt_at=timezone.now())
        services.deliveries_sweep()
        wait_until(
            lambda: not Delivery.objects.exclude(status="succeeded").exists(),
            message="every delivery succeeded",
        )
        log = worker.log()
    assert "succeeded" in log or "Task" in log, log[-2000:]  # the scan read a real worker log
    for secret in (api.api_key_plaintext, endpoint["secret"], CARD):
        assert secret not in log
    assert "sk_test_" not in log and "whsec_" not in log
