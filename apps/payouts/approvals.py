"""The payout approval kind: a payout above the merchant's threshold waits until a second staff
member releases or refuses it. Registered by PayoutsConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .errors import PayoutNotAwaitingApproval
from .models import Payout
from .services import payout_approve, payout_reject


def _reason(approval: ApprovalRequest) -> str:
    return approval.decision_reason or approval.reason


def payout_approval_execute(approval: ApprovalRequest, actor: Actor) -> None:
    try:
        payout_approve(
            payout_id=approval.target_id, actor=actor, user=approval.decided_by, reason=_reason(approval)
        )
    except PayoutNotAwaitingApproval:
        # An earlier run of this approval released the payout and died before the approval was
        # marked executed: finish the approval rather than report a failure.
        if Payout.objects.filter(public_id=approval.target_id, approval=Payout.Approval.APPROVED).exists():
            return
        raise


def payout_approval_reject(approval: ApprovalRequest, actor: Actor) -> None:
    payout_reject(
        payout_id=approval.target_id, actor=actor, user=approval.decided_by, reason=_reason(approval)
    )


def payout_approval_describe(approval: ApprovalRequest) -> list[tuple[str, str, str]]:
    """The payout's context on the review page: destination account, method, the merchant's
    available balance in that currency now, and who asked."""
    from django.urls import NoReverseMatch, reverse

    from apps.core.currencies import format_amount
    from apps.ledger.selectors import ledger_available_balance

    payout = (
        Payout.objects.select_related("destination", "merchant").filter(public_id=approval.target_id).first()
    )
    if payout is None:
        return []
    try:
        url = reverse("admin:payouts_payout_change", args=[payout.pk])
    except NoReverseMatch:
        url = ""
    bank = payout.destination
    available = ledger_available_balance(
        merchant=payout.merchant, livemode=payout.livemode, currency=payout.currency
    )
    return [
        ("Payout", f"{payout.public_id} ({payout.status}, {payout.method})", url),
        (
            "Destination",
            f"{bank.bank_name or 'bank'} ••••{bank.last4} ({bank.country}, {bank.currency.upper()})",
            "",
        ),
        ("Available now", format_amount(available, payout.currency), ""),
        ("Automatic", "yes (schedule)" if payout.automatic else "no (requested)", ""),
        ("Description", payout.description or "—", ""),
    ]


def register_approval_kind() -> None:
    registry.register(
        "payout",
        permission="payouts.approve_payout",
        execute=payout_approval_execute,
        reject=payout_approval_reject,
        label="Payout above the approval threshold",
        describe=payout_approval_describe,
    )
