"""Network events about disputes, end to end through the inbound endpoint: creation from the
sandbox's 0259 card, replays, out-of-order and flipping events, and their ledger entries."""

import pytest

from apps.audit.models import AuditEntry
from apps.disputes.models import Dispute
from apps.intents.models import Charge
from apps.ledger.models import BalanceTransaction, JournalEntry
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.webhooks.models import Event, InboundWebhook
from tests.intents.helpers import make_card, pay
from tests.webhooks.test_api_inbound import post_callback

from .conftest import connector_of, network_event

pytestmark = pytest.mark.django_db


def _total(merchant) -> int:
    return sum(merchant_balances(merchant, False, "USD").values())


def _events(dispute) -> list[str]:
    return list(
        Event.objects.filter(type__startswith="charge.dispute.", data__object__id=dispute.public_id)
        .order_by("id")
        .values_list("type", flat=True)
    )


def test_the_0259_notification_creates_the_dispute_and_withdraws_amount_and_fee(api, merchant):
    body = pay(api, make_card(merchant, "4000000000000259")).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = _total(merchant)
    from apps.connectors.sandbox import SandboxAdapter

    [(raw, headers)] = SandboxAdapter().dispute_notifications(gateway_reference=charge.gateway_reference)
    first = post_callback(connector_of(merchant).public_id, raw, headers)
    assert first.json()["status"] == "processed"
    dispute = Dispute.objects.get(charge=charge)
    assert (dispute.status, dispute.reason, dispute.network_reason_code) == (
        "needs_response",
        "fraudulent",
        "10.4",
    )
    assert (dispute.amount, dispute.currency, dispute.payment_intent.public_id) == (2000, "USD", body["id"])
    assert dispute.public_id.startswith("dp_") and dispute.funds_withdrawn and dispute.due_by is not None
    assert _total(merchant) == before - 2000 - 1500
    [line] = BalanceTransaction.objects.filter(source_type="dispute")
    assert (line.type, line.amount, line.net, line.source_id) == ("dispute", -2000, -3500, dispute.public_id)
    assert _events(dispute) == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    assert InboundWebhook.objects.get(status="processed").result == "applied"
    # The same delivery again: a duplicate; the same event re-sent under a new id: no change.
    assert post_callback(connector_of(merchant).public_id, raw, headers).json()["duplicate"] is True
    again = network_event(merchant, charge, "charge.dispute.created", dispute=dispute.connector_dispute_id)
    assert again["status"] == "ignored"
    assert InboundWebhook.objects.order_by("-id").first().result == "ignored:no_change"
    assert Dispute.objects.count() == 1 and _total(merchant) == before - 3500
    assert JournalEntry.objects.filter(kind="dispute_debit").count() == 1
    assert ledger_check_invariants() == []


def test_won_reinstates_the_amount_keeps_the_fee_and_a_flip_to_lost_withdraws_again(api, merchant, disputed):
    charge = disputed.charge
    after_open = _total(merchant)
    network_event(merchant, charge, "charge.dispute.updated", dispute=disputed.connector_dispute_id,
                  status="under_review")  # fmt: skip
    network_event(
        merchant, charge, "charge.dispute.closed", dispute=disputed.connector_dispute_id, status="won"
    )
    disputed.refresh_from_db()
    assert disputed.status == "won" and not disputed.funds_withdrawn
    assert _total(merchant) == after_open + 2000  # the fee stays withdrawn
    # A late non-terminal event: recorded as stale, ignored.
    network_event(merchant, charge, "charge.dispute.updated", dispute=disputed.connector_dispute_id,
                  status="under_review")  # fmt: skip
    assert InboundWebhook.objects.order_by("-id").first().result == "ignored:stale"
    assert AuditEntry.objects.filter(action="dispute.stale_event", object_id=disputed.public_id).count() == 1
    # The network flips the outcome: applied, withdrawn again (no second fee), audited as a flip.
    network_event(
        merchant, charge, "charge.dispute.closed", dispute=disputed.connector_dispute_id, status="lost"
    )
    disputed.refresh_from_db()
    assert disputed.status == "lost" and disputed.funds_withdrawn and disputed.ledger_round == 1
    assert _total(merchant) == after_open
    flip = AuditEntry.objects.get(action="dispute.flipped", object_id=disputed.public_id)
    assert (flip.before["status"], flip.after["status"]) == ("won", "lost")
    # …and back: reinstated once more.
    network_event(
        merchant, charge, "charge.dispute.closed", dispute=disputed.connector_dispute_id, status="won"
    )
    assert _total(merchant) == after_open + 2000
    disputed.refresh_from_db()
    assert [bt["type"] for bt in _bt(disputed)] == [
        "dispute",
        "dispute_reversal",
        "dispute",
        "dispute_reversal",
    ]
    assert _events(disputed) == [
        "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.updated",
        "charge.dispute.funds_reinstated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.closed",
        "charge.dispute.funds_reinstated", "charge.dispute.closed",
    ]  # fmt: skip
    assert ledger_check_invariants() == []


def _bt(dispute):
    from apps.disputes.payloads import dispute_to_dict

    return dispute_to_dict(dispute)["balance_transactions"]


def test_a_closed_event_before_created_creates_the_dispute_in_its_final_state(api, merchant):
    body = pay(api, make_card(merchant)).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = _total(merchant)
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_late", status="lost",
                  reason="product_not_received")  # fmt: skip
    network_event(
        merchant, charge, "charge.dispute.created", dispute="sbxdp_late", reason="product_not_received"
    )
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.reason) == ("lost", "product_not_received")
    assert dispute.closed_at is not None
    assert _total(merchant) == before - 2000 - 1500
    assert InboundWebhook.objects.order_by("-id").first().result == "ignored:stale"
    assert _events(dispute) == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.closed",
    ]
    assert ledger_check_invariants() == []


def test_an_inquiry_moves_no_money(api, merchant):
    body = pay(api, make_card(merchant)).json()
    charge = Charge.objects.get(public_id=body["latest_charge"])
    before = _total(merchant)
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_inq", case_type="inquiry")
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.case_type, dispute.is_charge_refundable) == (
        "warning_needs_response", "inquiry", True,
    )  # fmt: skip
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_inq")
    dispute.refresh_from_db()
    assert dispute.status == "warning_closed" and _total(merchant) == before
    assert not BalanceTransaction.objects.filter(source_type="dispute").exists()


def test_an_event_for_an_unknown_charge_is_kept_as_unknown_reference(api, merchant):
    from apps.connectors.sandbox import SandboxAdapter

    pay(api, make_card(merchant))

    raw, headers = SandboxAdapter().build_webhook(
        type="charge.dispute.created", gateway_reference="sbx_nobody", amount=100, data={"dispute": "sbxdp_x"}
    )
    resp = post_callback(connector_of(merchant).public_id, raw, headers)
    assert resp.json()["status"] == "ignored"
    assert InboundWebhook.objects.get().result == "unknown_reference"
    assert not Dispute.objects.exists()


def test_a_late_created_event_after_submission_is_stale_and_keeps_the_submission(api, merchant, disputed):
    path = f"/v1/disputes/{disputed.public_id}"
    assert (
        api.post(path, {"evidence": {"customer_name": "Ann"}}, format="json").json()["status"]
        == "under_review"
    )
    before = _total(merchant)
    # The network's own echo of the submission changes nothing; its late `created` is stale.
    network_event(merchant, disputed.charge, "charge.dispute.updated", dispute=disputed.connector_dispute_id,
                  status="under_review")  # fmt: skip
    assert InboundWebhook.objects.order_by("-id").first().result == "ignored:no_change"
    network_event(merchant, disputed.charge, "charge.dispute.created", dispute=disputed.connector_dispute_id)
    assert InboundWebhook.objects.order_by("-id").first().result == "ignored:stale"
    disputed.refresh_from_db()
    assert (disputed.status, disputed.submission_count, disputed.evidence) == (
        "under_review",
        1,
        {"customer_name": "Ann"},
    )
    assert _total(merchant) == before and JournalEntry.objects.filter(kind="dispute_debit").count() == 1
