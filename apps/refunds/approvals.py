"""The refund approval kind: a refund above the merchant's threshold waits in `requires_approval`
until a second staff member decides it. Registered by RefundsConfig.ready()."""

from apps.approvals import registry
from apps.approvals.models import ApprovalRequest
from apps.audit.services import Actor

from .errors import RefundNotAwaitingApproval
from .models import Refund
from .services import refund_approve, refund_reject


def _reason(approval: ApprovalRequest) -> str:
    return approval.decision_reason or approval.reason


def refund_approval_execute(approval: ApprovalRequest, actor: Actor) -> None:
    try:
        refund_approve(refund_id=approval.target_id, actor=actor, reason=_reason(approval))
    except RefundNotAwaitingApproval:
        # A worker that died after refund_approve committed, before the approval was marked
        # executed, already sent the refund: the re-run finishes the approval instead of
        # reporting a failure for a refund that went through. Approving is what moves a refund
        # out of "not sent"; a rejected or canceled one never left it.
        refund = Refund.objects.get(public_id=approval.target_id)
        if refund.decided_at is None or refund.submission == Refund.Submission.NOT_SENT:
            raise


def refund_approval_reject(approval: ApprovalRequest, actor: Actor) -> None:
    refund_reject(refund_id=approval.target_id, actor=actor, reason=_reason(approval))


def refund_approval_describe(approval: ApprovalRequest) -> list[tuple[str, str, str]]:
    """The refund's context on the review page: the original payment, its order id and customer,
    how much of it was already refunded, and the refund's own reason."""
    from django.urls import NoReverseMatch, reverse

    from apps.core.currencies import format_amount

    refund = (
        Refund.objects.select_related("payment_intent__customer", "charge")
        .filter(public_id=approval.target_id)
        .first()
    )
    if refund is None:
        return []
    intent = refund.payment_intent

    def url(name, pk):
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            return ""

    customer = intent.customer
    return [
        ("Refund", f"{refund.public_id} ({refund.status})", url("admin:refunds_refund_change", refund.pk)),
        ("Original payment", f"{intent.public_id} · {format_amount(intent.amount, intent.currency)} · {intent.status}",
         url("admin:intents_paymentintent_change", intent.pk)),
        ("Order id", intent.order_id or "—", ""),
        ("Customer", (customer.email or customer.public_id) if customer else (intent.receipt_email or "—"),
         url("admin:vault_customer_change", customer.pk) if customer else ""),
        ("Already refunded", format_amount(intent.amount_refunded, intent.currency), ""),
        ("Refund reason (merchant sees it)", refund.reason or "—", ""),
        ("Paid on", f"{intent.created_at:%Y-%m-%d %H:%M %Z}", ""),
    ]  # fmt: skip


def register_approval_kind() -> None:
    registry.register(
        "refund",
        permission="refunds.approve_refund",
        execute=refund_approval_execute,
        reject=refund_approval_reject,
        label="Refund above the approval threshold",
        describe=refund_approval_describe,
    )
