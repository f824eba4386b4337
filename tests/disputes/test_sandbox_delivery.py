"""The sandbox acquirer delivers its dispute callbacks by itself (the beat task), a little after
the fact and each once: a 0259 payment becomes a dispute without any test posting a callback, and
`winning_evidence` wins it on the next delivery after the delay."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.disputes.models import Dispute
from apps.disputes.services import disputes_deliver_sandbox_notifications
from apps.disputes.tasks import deliver_sandbox_notifications_task
from apps.intents.models import Charge
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.webhooks.models import InboundWebhook
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def test_the_sandbox_sends_the_dispute_then_the_win_after_the_delay(api, merchant, settings):
    settings.SANDBOX_DISPUTE_DELAY_SECONDS = 30
    body = pay(api, make_card(merchant, "4000000000000259")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = sum(merchant_balances(merchant, False, "USD").values())
    assert disputes_deliver_sandbox_notifications() == 0  # not yet: the acquirer's delay
    later = timezone.now() + dt.timedelta(seconds=31)
    assert disputes_deliver_sandbox_notifications(now=later) == 1
    assert disputes_deliver_sandbox_notifications(now=later) == 0  # once
    dispute = Dispute.objects.get(charge=charge)
    assert dispute.status == "needs_response"
    api.post(f"/v1/disputes/{dispute.public_id}", {"evidence": {"uncategorized_text": "winning_evidence"}},
             format="json")  # fmt: skip
    assert disputes_deliver_sandbox_notifications() == 0  # the decision comes after the delay too
    settings.SANDBOX_DISPUTE_DELAY_SECONDS = 0
    assert deliver_sandbox_notifications_task.delay().get() == 1
    dispute.refresh_from_db()
    assert dispute.status == "won"
    assert sum(merchant_balances(merchant, False, "USD").values()) == before - 1500
    assert InboundWebhook.objects.filter(status="duplicate").count() == 0
    assert ledger_check_invariants() == []
