"""The owners' timeline sources and buttons on the payment workbench (wired at merge): routing's
decision record, risk's decision and review, and the dispute — each from real rows made through
the API, not registered by the test."""

import pytest
from django.urls import reverse

from apps.backoffice import timeline
from apps.intents.models import PaymentIntent
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay


@pytest.mark.django_db
def test_routing_risk_and_dispute_entries_and_the_dispute_button(client, api, merchant):
    paid = pay(api, make_card(merchant), amount=5000).json()
    simulated = api.post(
        "/v1/test_helpers/simulate",
        {"type": "charge.dispute.created", "object": paid["id"], "reason": "fraudulent"},
        format="json",
    )
    assert simulated.status_code == 200, simulated.json()
    intent = PaymentIntent.objects.get(public_id=paid["id"])
    entries = {e.kind: e for e in timeline.payment_timeline(intent)}
    assert {"attempt", "routing", "risk", "dispute"} <= set(entries)
    connector = intent.latest_charge.connector.public_id
    assert entries["routing"].title.startswith(f"Routed to {connector}")
    assert entries["risk"].title.startswith("Risk: allow")
    assert "fraudulent" in entries["dispute"].detail and "respond by" in entries["dispute"].detail

    client.force_login(staff_user("support", "sue"))
    page = client.get(reverse("admin:intents_paymentintent_change", args=[intent.pk])).content.decode()
    assert 'data-kind="routing"' in page and 'data-kind="dispute"' in page
    assert 'id="action-dispute"' in page and "Respond to dispute" in page
