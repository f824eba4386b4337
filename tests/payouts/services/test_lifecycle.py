"""Payouts from creation to release or return: available debited, never overdrawn, approvals, cancel, mark failed."""

import pytest

from apps.audit.models import AuditEntry
from apps.core.errors import InvalidRequestError, StateConflictError
from apps.payouts import services
from apps.payouts.models import Payout
from tests.payouts.factories import ACTOR, available, run_bank, us_bank


def test_payout_above_available_is_refused(funded):
    with pytest.raises(StateConflictError) as exc:
        services.payout_create(merchant=funded, livemode=False, amount=100_001, currency="USD", actor=ACTOR)
    assert exc.value.code == "balance_insufficient"
    assert not Payout.objects.exists()


def test_cancel_returns_funds_only_while_pending(funded):
    payout = services.payout_create(
        merchant=funded, livemode=False, amount=10_000, currency="USD", actor=ACTOR
    )
    services.payout_cancel(payout=payout, actor=ACTOR)
    payout.refresh_from_db()
    assert payout.status == "canceled"
    assert available(funded) == 100_000
    with pytest.raises(StateConflictError):
        services.payout_cancel(payout=payout, actor=ACTOR)
    other = services.payout_create(
        merchant=funded, livemode=False, amount=10_000, currency="USD", actor=ACTOR
    )
    services.payouts_submit_due()
    with pytest.raises(StateConflictError) as exc:
        services.payout_cancel(payout=other, actor=ACTOR)
    assert exc.value.code == "payout_not_cancelable"


def test_payout_above_threshold_waits_for_approval(funded):
    settings = funded.settings
    settings.payout_approval_threshold = 20_000
    settings.save()
    big = services.payout_create(merchant=funded, livemode=False, amount=50_000, currency="USD", actor=ACTOR)
    assert big.approval == "required"
    assert available(funded) == 50_000  # held while waiting
    services.payouts_submit_due()
    big.refresh_from_db()
    assert big.status == "pending"  # the bank never saw it
    services.payout_approve(payout_id=big.public_id, actor=ACTOR)
    run_bank()
    big.refresh_from_db()
    assert big.status == "paid"

    rejected = services.payout_create(
        merchant=funded, livemode=False, amount=30_000, currency="USD", actor=ACTOR
    )
    services.payout_reject(payout_id=rejected.public_id, actor=ACTOR, reason="suspicious")
    rejected.refresh_from_db()
    assert (rejected.status, rejected.approval) == ("canceled", "rejected")
    assert available(funded) == 50_000
    assert AuditEntry.objects.filter(action="payout.rejected", reason="suspicious").exists()


def test_mark_failed_requires_a_reason_and_is_audited(funded):
    payout = services.payout_create(
        merchant=funded, livemode=False, amount=10_000, currency="USD", actor=ACTOR
    )
    services.payouts_submit_due()
    with pytest.raises(InvalidRequestError):
        services.payout_mark_failed(payout=payout, actor=ACTOR, reason=" ")
    services.payout_mark_failed(payout=payout, actor=ACTOR, reason="bank returned it")
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert available(funded) == 100_000
    assert AuditEntry.objects.filter(action="payout.marked_failed", object_id=payout.public_id).exists()


def test_payout_threshold_is_that_of_the_payouts_currency_else_the_legacy_one(funded):
    """20,000 minor units mean 200.00 USD but 20,000 JPY: each currency has its own threshold, and the
    single payout_approval_threshold applies only where a currency has none."""
    from apps.merchants.services import merchant_settings_update
    from tests.ledger.factories import fund

    fund(funded, 100_000, currency="JPY")
    us_bank(funded, "000123456780", currency="JPY")
    merchant_settings_update(
        merchant=funded, changes={"payout_approval_thresholds": {"jpy": 50_000}, "payout_approval_threshold": 20_000},
        actor=ACTOR,
    )  # fmt: skip
    yen = services.payout_create(merchant=funded, livemode=False, amount=30_000, currency="JPY", actor=ACTOR)
    assert yen.approval == "not_required"  # 30,000 JPY is under JPY's own 50,000
    dollars = services.payout_create(
        merchant=funded, livemode=False, amount=30_000, currency="USD", actor=ACTOR
    )
    assert dollars.approval == "required"  # 300.00 USD is above the legacy 20,000 (200.00 USD)
    from apps.approvals.models import ApprovalRequest

    request = ApprovalRequest.objects.get(target_id=dollars.public_id)
    assert request.reason == "Payout of 300.00 USD above the approval threshold of 200.00 USD"
    big_yen = services.payout_create(
        merchant=funded, livemode=False, amount=50_001, currency="JPY", actor=ACTOR
    )
    assert big_yen.approval == "required"
