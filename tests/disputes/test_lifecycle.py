"""The issue's "done when", through the API: a 4000 0000 0000 0259 payment is disputed, the
merchant stages and submits evidence once, the sandbox acquirer decides by the evidence text
(Stripe's test mode) and its closing notification wins or loses the dispute; the balance is
withdrawn, then reinstated (the fee is kept) or not."""

import pytest

from apps.connectors.sandbox import SandboxAdapter
from apps.disputes.models import Dispute
from apps.intents.models import Charge
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from tests.intents.helpers import make_card, pay
from tests.webhooks.test_api_inbound import post_callback

from .conftest import connector_of, network_event

pytestmark = pytest.mark.django_db


def _total(merchant) -> int:
    return sum(merchant_balances(merchant, False, "USD").values())


def _deliver_all(merchant, charge) -> list[str]:
    """Posts every notification the sandbox acquirer has for the charge; the inbound outcomes."""
    outcomes = []
    for raw, headers in SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference):
        body = post_callback(connector_of(merchant).public_id, raw, headers).json()
        outcomes.append("duplicate" if body["duplicate"] else body["status"])
    return outcomes


@pytest.mark.parametrize(
    ("text", "outcome", "returned"),
    [
        ("winning_evidence", "won", 2000),
        ("losing_evidence", "lost", 0),
        ("The customer signed.", "under_review", 0),
    ],
)
def test_submitted_evidence_decides_the_sandbox_dispute(api, merchant, text, outcome, returned):
    body = pay(api, make_card(merchant, "4000000000000259")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = _total(merchant)
    assert _deliver_all(merchant, charge) == ["processed"]
    dispute = Dispute.objects.get(charge=charge)
    assert _total(merchant) == before - 2000 - 1500
    path = f"/v1/disputes/{dispute.public_id}"
    staged = api.post(path, {"evidence": {"customer_name": "Ann"}, "submit": False}, format="json").json()
    assert staged["status"] == "needs_response"
    submitted = api.post(path, {"evidence": {"uncategorized_text": text}}, format="json").json()
    assert submitted["status"] == "under_review" and submitted["evidence_details"]["submission_count"] == 1
    expected = ["duplicate", "processed"] if outcome != "under_review" else ["duplicate"]
    assert _deliver_all(merchant, charge) == expected
    data = api.get(path).json()
    assert data["status"] == outcome
    assert _total(merchant) == before - 3500 + returned
    types = [bt["type"] for bt in data["balance_transactions"]]
    assert types == (["dispute", "dispute_reversal"] if outcome == "won" else ["dispute"])
    assert ledger_check_invariants() == []


def test_evidence_the_connector_refuses_records_nothing(api, merchant):
    body = pay(api, make_card(merchant)).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_not_at_the_acquirer")
    dispute = Dispute.objects.get()
    resp = api.post(
        f"/v1/disputes/{dispute.public_id}", {"evidence": {"customer_name": "Ann"}}, format="json"
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "dispute_submission_refused"
    dispute.refresh_from_db()
    assert (dispute.status, dispute.submission_count, dispute.evidence) == ("needs_response", 0, {})


def test_the_2685_card_opens_a_product_not_received_chargeback(api, merchant):
    body = pay(api, make_card(merchant, "4000000000002685")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = _total(merchant)
    assert _deliver_all(merchant, charge) == ["processed"]
    dispute = Dispute.objects.get(charge=charge)
    assert (dispute.reason, dispute.network_reason_code, dispute.case_type, dispute.status) == (
        "product_not_received", "13.1", "chargeback", "needs_response",
    )  # fmt: skip
    assert _total(merchant) == before - 2000 - 1500


def test_the_1976_card_opens_an_inquiry_that_moves_no_money_and_winning_evidence_closes_it(api, merchant):
    body = pay(api, make_card(merchant, "4000000000001976")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = _total(merchant)
    assert _deliver_all(merchant, charge) == ["processed"]
    dispute = Dispute.objects.get(charge=charge)
    assert (dispute.case_type, dispute.status, dispute.is_charge_refundable) == (
        "inquiry", "warning_needs_response", True,
    )  # fmt: skip
    submitted = api.post(f"/v1/disputes/{dispute.public_id}", {"evidence": {"uncategorized_text": "winning_evidence"}},
                         format="json").json()  # fmt: skip
    assert submitted["status"] == "warning_under_review"
    assert _deliver_all(merchant, charge) == ["duplicate", "processed"]
    dispute.refresh_from_db()
    assert dispute.status == "warning_closed" and _total(merchant) == before
    assert ledger_check_invariants() == []
