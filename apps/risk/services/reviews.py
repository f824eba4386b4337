"""Reviews: opened when a rule sends a payment to review, closed by a risk analyst (approve →
capture if held; refund as fraud; cancel), and the labels their outcomes give."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.intents.models import PaymentIntent
from apps.webhooks.services import event_record

from ..errors import PaymentUnderReview, ReviewNotOpen
from ..models import FraudLabel, Review, RiskDecision
from ..payloads import review_to_dict


def review_open(
    *, intent: PaymentIntent, decision_id: str, held: bool, actor: Actor, reason: str = "rule"
) -> Review:
    charge = intent.latest_charge
    with transaction.atomic():
        decision = RiskDecision.objects.filter(public_id=decision_id).first()
        review = Review.objects.create(
            merchant_id=intent.merchant_id, livemode=intent.livemode, charge=charge, payment_intent=intent,
            decision=decision, opened_reason=reason, reason=reason, held=held,
            authorization_expires_at=charge.authorization_expires_at,
        )  # fmt: skip
        audit_record(actor=actor, action="review.opened", merchant=intent.merchant, obj=review,
                     after={"charge": charge.public_id, "held": held, "decision": decision_id})  # fmt: skip
        event_record(
            merchant=intent.merchant,
            livemode=intent.livemode,
            type="review.opened",
            data=review_to_dict(review),
        )
    return review


def _close(review_id: int, *, closed_reason: str, actor: Actor, reason: str, label: str | None) -> Review:
    with transaction.atomic(durable=True):
        review = (
            Review.objects.select_for_update()
            .select_related("charge", "payment_intent", "merchant")
            .get(pk=review_id)
        )
        if not review.open:
            raise ReviewNotOpen(closed=review.closed_reason)
        review.open = False
        review.closed_reason = closed_reason
        review.reason = closed_reason
        review.closed_at = timezone.now()
        review.closed_by = actor.label
        review.note = reason
        review.save()
        audit_record(
            actor=actor, action="review.closed", merchant=review.merchant, obj=review,
            before={"open": True}, after={"open": False, "closed_reason": closed_reason}, reason=reason,
        )  # fmt: skip
        event_record(
            merchant=review.merchant,
            livemode=review.livemode,
            type="review.closed",
            data=review_to_dict(review),
        )
        if label and review.decision_id:
            FraudLabel.objects.get_or_create(
                decision_id=review.decision_id,
                source="review",
                source_id=review.public_id,
                defaults={"label": label},
            )
    return review


def review_approve(*, review_id: int, actor: Actor, reason: str) -> Review:
    """Closes the review as approved; a held payment is captured now."""
    from apps.intents.services import payment_intent_capture

    review = _close(
        review_id, closed_reason=Review.ClosedReason.APPROVED, actor=actor, reason=reason, label="not_fraud"
    )
    intent = review.payment_intent
    if review.held and intent.status == PaymentIntent.Status.REQUIRES_CAPTURE:
        payment_intent_capture(
            intent_id=intent.pk, actor=actor, reason=f"review {review.public_id} approved: {reason}"
        )
    return review


def review_refund_as_fraud(*, review_id: int, actor: Actor, reason: str) -> Review:
    """A captured payment is refunded (reason fraudulent); a held one is voided as fraudulent."""
    from apps.intents.services import payment_intent_cancel
    from apps.refunds.services import refund_create

    review = Review.objects.select_related("payment_intent", "merchant").get(pk=review_id)
    if not review.open:
        raise ReviewNotOpen(closed=review.closed_reason)
    intent = review.payment_intent
    if intent.status == PaymentIntent.Status.REQUIRES_CAPTURE:
        payment_intent_cancel(
            intent_id=intent.pk, actor=actor, cancellation_reason="fraudulent", reason=reason
        )
    elif intent.status == PaymentIntent.Status.SUCCEEDED and intent.amount_refunded < intent.amount_received:
        refund_create(
            merchant=review.merchant, livemode=review.livemode, actor=actor, payment_intent=intent.public_id,
            reason="fraudulent", staff_reason=f"review {review.public_id}: {reason}",
        )  # fmt: skip
    return _close(
        review_id,
        closed_reason=Review.ClosedReason.REFUNDED_AS_FRAUD,
        actor=actor,
        reason=reason,
        label="fraud",
    )


def review_cancel(*, review_id: int, actor: Actor, reason: str) -> Review:
    """Rejects the payment: a held authorization is voided; the review closes as canceled."""
    from apps.intents.services import payment_intent_cancel

    review = Review.objects.select_related("payment_intent").get(pk=review_id)
    if not review.open:
        raise ReviewNotOpen(closed=review.closed_reason)
    intent = review.payment_intent
    if intent.status == PaymentIntent.Status.REQUIRES_CAPTURE:
        payment_intent_cancel(
            intent_id=intent.pk, actor=actor, cancellation_reason="fraudulent", reason=reason
        )
    return _close(
        review_id, closed_reason=Review.ClosedReason.CANCELED, actor=actor, reason=reason, label="fraud"
    )


def review_capture_guard(intent: PaymentIntent):
    """Registered with apps.intents.hooks: no capture while the payment's review is open."""
    review = (
        Review.objects.filter(payment_intent_id=intent.pk, open=True)
        .values_list("public_id", flat=True)
        .first()
    )
    return PaymentUnderReview(review=review) if review else None
