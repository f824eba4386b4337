"""Concurrent network events about one dispute (distinct event ids, so the inbound dedupe does not
apply): the dispute is created once and its funds withdrawn once."""

import threading
import uuid

import pytest
from django.core.signals import request_started
from django.db import close_old_connections

from apps.connectors.sandbox import SandboxAdapter
from apps.disputes.models import Dispute
from apps.intents.models import Charge
from apps.ledger.models import JournalEntry
from apps.webhooks.models import Event, InboundWebhook
from tests.intents.helpers import make_card, pay
from tests.webhooks.test_api_inbound import post_callback

from .conftest import connector_of


@pytest.mark.django_db(transaction=True)
def test_concurrent_created_events_create_one_dispute_and_one_debit(merchant, client_for):
    request_started.disconnect(close_old_connections)
    try:
        api = client_for(merchant)
        body = pay(api, make_card(merchant)).json()
        charge = Charge.objects.get(public_id=body["latest_charge"])
        connector_id = connector_of(merchant).public_id
        deliveries = [
            SandboxAdapter().build_webhook(
                type="charge.dispute.created", gateway_reference=charge.gateway_reference, amount=2000,
                currency="usd", data={"dispute": "sbxdp_race", "reason": "fraudulent"},
                event_id=f"sbxevt_{uuid.uuid4().hex}",
            )
            for _ in range(4)
        ]  # fmt: skip
        barrier = threading.Barrier(4)
        codes = []

        def send(raw, headers):
            barrier.wait()
            try:
                codes.append(post_callback(connector_id, raw, headers).status_code)
            finally:
                from django.db import connection

                connection.close()

        threads = [threading.Thread(target=send, args=d) for d in deliveries]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(codes) == [200, 200, 200, 200]
        assert Dispute.objects.filter(charge=charge).count() == 1
        assert JournalEntry.objects.filter(kind="dispute_debit").count() == 1
        assert Event.objects.filter(type="charge.dispute.created").count() == 1
        results = sorted(InboundWebhook.objects.values_list("result", flat=True))
        assert results == ["applied", "ignored:no_change", "ignored:no_change", "ignored:no_change"]
    finally:
        request_started.connect(close_old_connections)
