"""Random sequences of dispute lifecycles through apps.disputes' own services — chargebacks and
inquiries opened by the network, won, lost, flipped back and forth, accepted by the merchant,
with the merchant's fee-refund policy changing between them — beside captures, settlement and
adjustments. After every step the books balance (apps.ledger invariants), each dispute's status is
the one the model expects, and each dispute's balance transactions add up to what the model says
it withdrew: the amount while withdrawn, plus the fee while charged."""

import datetime as dt
import itertools

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
from apps.connectors.base import InboundEvent
from apps.core.ids import generate_id
from apps.disputes.models import Dispute, DisputeSettings
from apps.disputes.services import dispute_apply_inbound_event, dispute_close
from apps.intents.models import Charge
from apps.intents.services import payment_intent_create
from apps.ledger.models import BalanceTransaction
from apps.ledger.selectors import ledger_check_invariants
from apps.ledger.services import ledger_adjustment_post, ledger_post_capture, ledger_settle_due
from tests.intents.helpers import make_card
from tests.merchants.factories import MerchantFactory

ACTOR = Actor.system("hypothesis")
FEE = 1500
_ids = itertools.count()


class DisputeLedgerMachine(RuleBasedStateMachine):
    @initialize(payments=st.integers(2, 4), refund_fee=st.booleans())
    def setup(self, payments, refund_fee):
        self.merchant = MerchantFactory(settlement_currency="USD")
        self.charges = []
        for n in range(payments):
            intent = payment_intent_create(
                merchant=self.merchant, livemode=False, actor=ACTOR, amount=1_000 * (n + 1), currency="USD",
                payment_method=make_card(self.merchant).public_id, confirm=True,
            )  # fmt: skip
            self.charges.append(Charge.objects.get(pk=intent.latest_charge_id))
        self.connector = self.charges[0].connector
        self.model: dict[str, dict] = {}  # connector dispute id → expected state
        self.refund_fee = refund_fee
        DisputeSettings.objects.create(merchant=self.merchant, fee_refunded_on_win=refund_fee)

    def _event(self, charge: Charge, type_: str, ref: str, **data):
        event = InboundEvent(
            provider_event_id=f"evt_h{next(_ids)}", type=type_, gateway_reference=charge.gateway_reference,
            occurred_at=timezone.now(), amount=charge.amount_captured, currency=charge.currency,
            data={"dispute": ref, **data},
        )  # fmt: skip
        return dispute_apply_inbound_event(connector=self.connector, event=event)

    def _dispute(self, ref: str) -> Dispute:
        return Dispute.objects.get(connector=self.connector, connector_dispute_id=ref)

    # --- the network ------------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < len(self.charges))
    @rule(inquiry=st.booleans())
    def opened(self, inquiry):
        charge = self.charges[len(self.model)]
        ref = f"sbxdp_h{next(_ids)}"
        extra = {"case_type": "inquiry", "status": "warning_needs_response"} if inquiry else {}
        assert self._event(charge, "charge.dispute.created", ref, reason="fraudulent", **extra) == "applied"
        self.model[ref] = {"charge": charge, "inquiry": inquiry, "amount": charge.amount_captured,
                           "status": "warning_needs_response" if inquiry else "needs_response",
                           "withdrawn": not inquiry, "fee": not inquiry}  # fmt: skip

    @precondition(lambda self: any(m["status"] == "needs_response" for m in self.model.values()))
    @rule(data=st.data())
    def under_review(self, data):
        ref = data.draw(
            st.sampled_from(sorted(r for r, m in self.model.items() if m["status"] == "needs_response"))
        )
        assert (
            self._event(self.model[ref]["charge"], "charge.dispute.updated", ref, status="under_review")
            == "applied"
        )
        self.model[ref]["status"] = "under_review"

    @precondition(lambda self: any(not m["inquiry"] for m in self.model.values()))
    @rule(data=st.data(), outcome=st.sampled_from(["won", "lost"]))
    def closed(self, data, outcome):
        """A terminal event: a close, a flip, or a repeat that changes nothing."""
        ref = data.draw(st.sampled_from(sorted(r for r, m in self.model.items() if not m["inquiry"])))
        m = self.model[ref]
        result = self._event(m["charge"], "charge.dispute.closed", ref, status=outcome)
        if m["status"] == outcome:
            assert result == "ignored:no_change"
            return
        assert result == "applied"
        m["status"] = outcome
        if outcome == "won":
            m["withdrawn"] = False
            if self.refund_fee and m["fee"]:
                m["fee"] = False
        else:
            m["withdrawn"] = True
            m["fee"] = True  # kept, or charged again after a win that had refunded it

    @precondition(lambda self: any(m["status"] in ("won", "lost") for m in self.model.values()))
    @rule(data=st.data())
    def stale(self, data):
        ref = data.draw(
            st.sampled_from(sorted(r for r, m in self.model.items() if m["status"] in ("won", "lost")))
        )
        assert self._event(
            self.model[ref]["charge"], "charge.dispute.updated", ref, status="under_review"
        ) == ("ignored:stale")

    # --- the merchant -----------------------------------------------------------------------------

    @precondition(lambda self: any(m["status"] in ("needs_response", "warning_needs_response")
                                   for m in self.model.values()))  # fmt: skip
    @rule(data=st.data())
    def accepted(self, data):
        refs = sorted(
            r for r, m in self.model.items() if m["status"] in ("needs_response", "warning_needs_response")
        )
        ref = data.draw(st.sampled_from(refs))
        dispute_close(dispute_id=self._dispute(ref).pk, actor=ACTOR, reason="accepted")
        self.model[ref]["status"] = "warning_closed" if self.model[ref]["inquiry"] else "lost"

    @rule(refund=st.booleans())
    def fee_policy(self, refund):
        DisputeSettings.objects.update_or_create(
            merchant=self.merchant, defaults={"fee_refunded_on_win": refund}
        )
        self.refund_fee = refund

    # --- other money ------------------------------------------------------------------------------

    @rule(amount=st.integers(1, 30_000))
    def capture(self, amount):
        ledger_post_capture(merchant=self.merchant, livemode=False, charge_id=generate_id("ch"), amount=amount,
                            currency="USD", connector_code="sandbox")  # fmt: skip

    @rule(days=st.sampled_from([1, 30]))
    def settle(self, days):
        ledger_settle_due(merchant=self.merchant, livemode=False, currency="USD",
                          now=timezone.now() + dt.timedelta(days=days))  # fmt: skip

    @rule(amount=st.integers(-5_000, 5_000).filter(bool))
    def adjustment(self, amount):
        ledger_adjustment_post(merchant=self.merchant, livemode=False, currency="USD", amount=amount,
                               reason="hypothesis", actor=ACTOR)  # fmt: skip

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def books_balance(self):
        assert ledger_check_invariants() == []

    @invariant()
    def each_dispute_is_where_the_model_says(self):
        for ref, m in self.model.items():
            dispute = self._dispute(ref)
            assert dispute.status == m["status"], ref
            assert dispute.funds_withdrawn == m["withdrawn"], ref
            keys = [dispute.ledger_key(n) for n in range(dispute.ledger_round + 1)]
            net = (
                BalanceTransaction.objects.filter(source_type="dispute", source_id__in=keys).aggregate(
                    t=Sum("net")
                )["t"]
                or 0
            )
            assert net == -(m["amount"] if m["withdrawn"] else 0) - (FEE if m["fee"] else 0), ref


@pytest.mark.django_db
def test_dispute_lifecycles_keep_the_ledger_right():
    run_state_machine_as_test(
        DisputeLedgerMachine,
        settings=settings(max_examples=10, stateful_step_count=20, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much]),
    )  # fmt: skip
