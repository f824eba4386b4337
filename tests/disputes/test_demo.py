"""The demo disputes load through the real services and the sandbox's callbacks, once."""

import io

import pytest

from apps.disputes import demo
from apps.disputes.models import Dispute
from apps.ledger.selectors import ledger_check_invariants

pytestmark = pytest.mark.django_db


def test_demo_disputes_cover_the_workbench_states_and_load_once(merchant):
    demo.load(merchant, io.StringIO())
    disputes = {d.payment_intent.order_id: d for d in Dispute.objects.select_related("payment_intent")}
    assert set(disputes) == {f"demo-dp-{n}" for n in range(1, 6)}
    assert disputes["demo-dp-1"].evidence["customer_name"] == "Dana Novak"
    assert disputes["demo-dp-2"].status == "warning_needs_response"
    assert disputes["demo-dp-3"].status == "won" and not disputes["demo-dp-3"].funds_withdrawn
    assert disputes["demo-dp-4"].status == "lost"
    urgent = disputes["demo-dp-5"]
    assert urgent.reason == "product_not_received" and urgent.due_by is not None
    demo.load(merchant, io.StringIO())
    assert Dispute.objects.count() == 5 and ledger_check_invariants() == []
