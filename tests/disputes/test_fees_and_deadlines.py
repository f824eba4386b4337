"""Dispute fees come from the settings and the merchant's dispute settings (not a constant), a
merchant whose policy refunds the fee on a win gets it back (and pays it again on a flip to lost),
and `due_by` comes from the per-network table when the network's event has no date."""

import datetime as dt

import pytest

from apps.disputes.deadlines import NETWORK_WINDOWS, deadline_table, response_window
from apps.disputes.models import Dispute, DisputeSettings
from apps.intents.models import Charge
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.webhooks.models import InboundWebhook
from tests.intents.helpers import make_card, pay

from .conftest import network_event

pytestmark = pytest.mark.django_db


def _total(merchant) -> int:
    return sum(merchant_balances(merchant, False, "USD").values())


def _paid_charge(api, merchant, number="4242424242424242") -> Charge:
    return Charge.objects.get(public_id=pay(api, make_card(merchant, number)).json()["latest_charge"])


def test_the_fee_is_the_platform_setting(api, merchant, settings):
    settings.DISPUTE_FEES = {"USD": 1900}
    charge = _paid_charge(api, merchant)
    before = _total(merchant)
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_fee1", reason="fraudulent")
    assert _total(merchant) == before - 2000 - 1900


def test_the_merchants_own_fee_overrides_the_setting_and_an_unlisted_currency_has_none(
    api, merchant, settings
):
    DisputeSettings.objects.create(merchant=merchant, fees={"USD": 2500})
    charge = _paid_charge(api, merchant)
    before = _total(merchant)
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_fee2")
    assert _total(merchant) == before - 2000 - 2500
    settings.DISPUTE_FEES = {}
    DisputeSettings.objects.filter(merchant=merchant).update(fees={})
    second = _paid_charge(api, merchant)
    before = _total(merchant)
    network_event(merchant, second, "charge.dispute.created", dispute="sbxdp_fee3")
    assert _total(merchant) == before - 2000


def test_a_policy_that_refunds_the_fee_returns_it_on_a_win_and_takes_it_again_on_a_flip(api, merchant):
    DisputeSettings.objects.create(merchant=merchant, fee_refunded_on_win=True)
    charge = _paid_charge(api, merchant)
    before = _total(merchant)
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_pol")
    assert _total(merchant) == before - 3500
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_pol", status="won")
    dispute = Dispute.objects.get(connector_dispute_id="sbxdp_pol")
    assert _total(merchant) == before and dispute.fee_refunded
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_pol", status="lost")
    dispute.refresh_from_db()
    assert _total(merchant) == before - 3500 and not dispute.fee_refunded and dispute.ledger_round == 1
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_pol", status="won")
    assert _total(merchant) == before
    # A replay of the last event changes nothing.
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_pol", status="won")
    assert InboundWebhook.objects.order_by("-id").first().result == "ignored:no_change"
    assert _total(merchant) == before and ledger_check_invariants() == []


def test_a_fee_kept_by_an_earlier_win_is_refunded_by_a_later_win_under_a_refunding_policy(api, merchant):
    """lost → won (policy keeps the fee) → policy now refunds → lost (no second fee: one is still
    charged) → won: that win returns the fee the first round charged, exactly once."""
    charge = _paid_charge(api, merchant)
    before = _total(merchant)
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_late")
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_late", status="lost")
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_late", status="won")
    assert _total(merchant) == before - 1500  # the fee kept
    DisputeSettings.objects.create(merchant=merchant, fee_refunded_on_win=True)
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_late", status="lost")
    dispute = Dispute.objects.get(connector_dispute_id="sbxdp_late")
    assert dispute.ledger_round == 1 and _total(merchant) == before - 3500  # amount again, not the fee
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_late", status="won")
    dispute.refresh_from_db()
    assert _total(merchant) == before and dispute.fee_refunded
    network_event(merchant, charge, "charge.dispute.closed", dispute="sbxdp_late", status="lost")
    assert _total(merchant) == before - 3500  # refunded, so the next round charges it again
    assert ledger_check_invariants() == []


@pytest.mark.parametrize(("number", "network", "days"), [
    ("4242424242424242", "visa", 23), ("5555555555554444", "mastercard", 38), ("378282246310005", "amex", 20),
    ("6011111111111117", "discover", 23), ("3566002020360505", "jcb", 14),
])  # fmt: skip
def test_due_by_follows_the_network_table(api, merchant, number, network, days):
    charge = _paid_charge(api, merchant, number)
    network_event(merchant, charge, "charge.dispute.created", dispute=f"sbxdp_{network}")
    dispute = Dispute.objects.get(connector_dispute_id=f"sbxdp_{network}")
    assert dispute.network == network
    window = dispute.due_by - dispute.network_created_at
    assert window == dt.timedelta(days=days)


def test_the_events_own_due_date_wins_and_the_buffer_is_a_setting(api, merchant, settings):
    charge = _paid_charge(api, merchant)
    due = int((dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).timestamp())
    network_event(merchant, charge, "charge.dispute.created", dispute="sbxdp_dated", evidence_due_by=due)
    assert int(Dispute.objects.get(connector_dispute_id="sbxdp_dated").due_by.timestamp()) == due
    settings.DISPUTE_ACQUIRER_BUFFER_DAYS = 10
    assert response_window("visa", inquiry=False) == dt.timedelta(days=20)
    assert response_window("amex", inquiry=True) == dt.timedelta(days=20)  # no acquirer in between


def test_every_network_row_names_its_source():
    assert all(window.source for window in NETWORK_WINDOWS.values())
    assert [row[0] for row in deadline_table()][-1] == "other"
