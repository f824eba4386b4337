"""Random sequences of captures (with/without splits and FX), refunds, dispute debits and
reversals, settlement, payouts and payout failures, adjustments and snapshot runs. After every
step: every entry sums to zero per currency, the sum over all accounts is zero per currency,
every balance (snapshot + tail) equals the sum of its postings, available is never below zero
except as tracked debt, pending never goes below zero, and the merchant's balance history (the
balance transactions' nets) adds up to its balance."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from apps.audit.services import Actor
from apps.core.errors import StateConflictError
from apps.core.ids import generate_id
from apps.ledger.models import Account, BalanceTransaction, MerchantBalanceState, Posting
from apps.ledger.selectors import ledger_check_invariants, merchant_balances
from apps.ledger.services import (
    exchange_rate_record,
    ledger_adjustment_post,
    ledger_post_capture,
    ledger_post_dispute_debit,
    ledger_post_dispute_reversal,
    ledger_post_refund,
    ledger_settle_due,
    ledger_snapshots_refresh,
)
from apps.merchants.models import MerchantSettings
from apps.payouts import services as payouts
from apps.payouts.models import Payout
from tests.merchants.factories import MerchantFactory

ACTOR = Actor.system("hypothesis")
SPLITS = [
    None,
    [
        {"account_type": "SystemOwner", "account_id": "sys", "percentage_bp": 3333},
        {"account_type": "ServiceOwner", "account_id": "svc", "percentage_bp": 3333},
        {"account_type": "Partner", "account_id": "partner", "percentage_bp": 3334},
    ],
    [
        {"account_type": "Partner", "account_id": "p1", "percentage_bp": 2500},
        {"account_type": "ServiceOwner", "account_id": "svc", "percentage_bp": 7500},
    ],
]


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.merchant = MerchantFactory(settlement_currency="USD")
        MerchantSettings.objects.filter(merchant=self.merchant).update(settlement_delay_days=2)
        exchange_rate_record(base="EUR", quote="USD", rate="1.0850", as_of=timezone.now(), source="manual")
        payouts.bank_account_create(
            merchant=self.merchant,
            livemode=False,
            currency="USD",
            routing_number="110000000",
            account_number="000123456789",
            actor=ACTOR,
        )
        payouts.bank_account_create(
            merchant=self.merchant, livemode=False, currency="GBP", iban="DE33370400440000111113", actor=ACTOR
        )  # a failing test account
        self.charges: list[dict] = []
        self.disputes: list[str] = []
        self.reversed: set[str] = set()

    # --- money in -----------------------------------------------------------------------------

    @rule(
        amount=st.integers(1, 50_000),
        currency=st.sampled_from(["USD", "EUR", "GBP"]),
        split=st.sampled_from(SPLITS),
    )
    def capture(self, amount, currency, split):
        charge_id = generate_id("ch")
        ledger_post_capture(
            merchant=self.merchant,
            livemode=False,
            charge_id=charge_id,
            amount=amount,
            currency=currency,
            connector_code="sandbox",
            split=split,
        )
        self.charges.append({"id": charge_id, "amount": amount, "refunded": 0, "currency": currency})

    @precondition(lambda self: any(c["refunded"] < c["amount"] for c in self.charges))
    @rule(data=st.data())
    def refund(self, data):
        open_charges = [c for c in self.charges if c["refunded"] < c["amount"]]
        charge = data.draw(st.sampled_from(open_charges))
        amount = data.draw(st.integers(1, charge["amount"] - charge["refunded"]))
        ledger_post_refund(refund_id=generate_id("re"), charge_id=charge["id"], amount=amount)
        charge["refunded"] += amount

    @precondition(lambda self: self.charges)
    @rule(data=st.data(), fee=st.sampled_from([0, 1500]))
    def dispute(self, data, fee):
        charge = data.draw(st.sampled_from(self.charges))
        dispute_id = generate_id("dp")
        ledger_post_dispute_debit(
            merchant=self.merchant,
            livemode=False,
            dispute_id=dispute_id,
            amount=charge["amount"],
            currency=charge["currency"],
            connector_code="sandbox",
            charge_id=charge["id"],
            fee=fee,
        )
        self.disputes.append(dispute_id)

    @precondition(lambda self: any(d not in self.reversed for d in self.disputes))
    @rule(data=st.data())
    def dispute_won(self, data):
        dispute_id = data.draw(st.sampled_from([d for d in self.disputes if d not in self.reversed]))
        ledger_post_dispute_reversal(dispute_id=dispute_id)
        self.reversed.add(dispute_id)

    @rule(currency=st.sampled_from(["USD", "GBP"]), days=st.sampled_from([1, 3, 30]))
    def settle(self, currency, days):
        ledger_settle_due(
            merchant=self.merchant,
            livemode=False,
            currency=currency,
            now=timezone.now() + timedelta(days=days),
        )

    @rule(amount=st.integers(-20_000, 20_000).filter(bool), currency=st.sampled_from(["USD", "GBP"]))
    def adjustment(self, amount, currency):
        ledger_adjustment_post(
            merchant=self.merchant,
            livemode=False,
            currency=currency,
            amount=amount,
            reason="hypothesis",
            actor=ACTOR,
        )

    # --- money out ----------------------------------------------------------------------------

    @rule(amount=st.integers(100, 60_000), currency=st.sampled_from(["USD", "GBP"]))
    def payout(self, amount, currency):
        available = merchant_balances(self.merchant, False, currency)["available"]
        try:
            payouts.payout_create(
                merchant=self.merchant, livemode=False, amount=amount, currency=currency, actor=ACTOR
            )
        except StateConflictError as exc:
            assert exc.code == "balance_insufficient"
            assert amount > available
        else:
            assert amount <= available

    @rule(pick=st.integers(0, 1_000))
    def payout_marked_failed(self, pick):
        # The draw never depends on the database (which payouts are open depends on the bank runs'
        # clock): Hypothesis replays must draw the same values, or it reports a flaky strategy.
        open_payouts = list(
            Payout.objects.filter(merchant=self.merchant, status__in=["pending", "in_transit"]).order_by("id")
        )
        if open_payouts:
            payout = open_payouts[pick % len(open_payouts)]
            payouts.payout_mark_failed(payout=payout, actor=ACTOR, reason="bank returned it")

    @rule()
    def bank_runs(self):
        payouts.payouts_submit_due()
        Payout.objects.filter(status="in_transit").update(settle_after=timezone.now())
        payouts.payouts_settle_due()

    @rule()
    def snapshot(self):
        ledger_snapshots_refresh()

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def books_balance(self):
        assert ledger_check_invariants() == []

    @invariant()
    def balances_equal_postings_and_history(self):
        for currency in ("USD", "EUR", "GBP"):
            derived = merchant_balances(self.merchant, False, currency)
            raw = {
                kind: Posting.objects.filter(
                    account__merchant=self.merchant,
                    account__owner="merchant",
                    account__kind=kind,
                    account__currency=currency,
                    account__livemode=False,
                ).aggregate(t=Sum("amount"))["t"]
                or 0
                for kind in Account.MERCHANT_KINDS
            }
            assert derived == raw
            assert derived["pending"] >= 0
            if derived["available"] < 0:
                state = MerchantBalanceState.objects.get(
                    merchant=self.merchant, livemode=False, currency=currency
                )
                assert state.debt == -derived["available"]
            history = (
                BalanceTransaction.objects.filter(merchant=self.merchant, currency=currency).aggregate(
                    t=Sum("net")
                )["t"]
                or 0
            )
            assert history == derived["pending"] + derived["available"] + derived["reserve"]


@pytest.mark.django_db
def test_ledger_invariants_hold_under_random_operations(settings_override=None):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
            ],
        ),
    )
