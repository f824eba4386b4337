"""What risk does after an attempt was recorded: open the review a rule asked for, count a
decline (and trip the card-testing guard). Registered with apps.intents.hooks."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.utils import timezone
from redis.exceptions import RedisError

from apps.audit.services import Actor, audit_record
from apps.intents.hooks import PaymentContext, Verdict
from apps.intents.models import PaymentIntent

from .. import store
from ..models import CardTestingBlock

logger = logging.getLogger(__name__)
REVIEWABLE = (PaymentIntent.Status.REQUIRES_CAPTURE, PaymentIntent.Status.SUCCEEDED)


def risk_after_authorization(context: PaymentContext, verdict: Verdict, intent: PaymentIntent | None) -> None:
    if intent is None or intent.status == PaymentIntent.Status.REQUIRES_PAYMENT_METHOD:
        try:
            decline_count(context, verdict)
        except RedisError:
            # The answer is recorded already; a decline not counted weakens the guard, never the payment.
            logger.warning("risk: decline of %s not counted, Redis unavailable", context.charge)
        return
    if verdict.action == "review" and intent.status in REVIEWABLE:
        from .reviews import review_open

        review_open(
            intent=intent, decision_id=verdict.decision, held=intent.status == PaymentIntent.Status.REQUIRES_CAPTURE,
            actor=Actor.system("risk"),
        )  # fmt: skip


def decline_count(context: PaymentContext, verdict: Verdict) -> list[CardTestingBlock]:
    threshold, window, block_seconds = verdict.private.get("ct") or (5, 600, 3600)
    dims = {
        "card_fingerprint": context.card_fingerprint,
        "email": (context.email or "").lower() or None,
        "ip_address": context.ip_address,
        "customer": context.customer,
    }
    guard_id = f"ctb_pending_{context.charge}"
    tripped = store.record_decline(
        merchant_id=context.merchant_id, livemode=context.livemode, dims=dims, guard_window=window,
        threshold=threshold, block_seconds=block_seconds, guard_value=json.dumps({"id": guard_id}),
    )  # fmt: skip
    blocks = []
    for kind, value, count in tripped:
        block = CardTestingBlock.objects.create(
            merchant_id=context.merchant_id, livemode=context.livemode, kind=kind, value=value, declines=count,
            blocked_until=timezone.now() + timedelta(seconds=block_seconds),
        )  # fmt: skip
        store.put(store.guard_key(context.merchant_id, context.livemode, kind, value), {"id": block.public_id},
                  seconds=block_seconds)  # fmt: skip
        audit_record(
            actor=Actor.system("risk"), action="risk.card_testing_guard.tripped", obj=block,
            after={"kind": kind, "declines": count, "blocked_seconds": block_seconds},
        )  # fmt: skip
        blocks.append(block)
    return blocks


def card_testing_block_lift(*, block_id: int, actor: Actor, reason: str) -> CardTestingBlock:
    from django.db import transaction

    with transaction.atomic(durable=True):
        block = CardTestingBlock.objects.select_for_update().select_related("merchant").get(pk=block_id)
        if block.lifted_at is None:
            block.lifted_at = timezone.now()
            block.lifted_by = actor.label
            block.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
            audit_record(
                actor=actor, action="risk.card_testing_guard.lifted", merchant=block.merchant, obj=block,
                before={"blocked_until": block.blocked_until.isoformat()}, after={"lifted": True}, reason=reason,
            )  # fmt: skip
            key = store.guard_key(block.merchant_id, block.livemode, block.kind, block.value)
            transaction.on_commit(lambda: store.put(key, None))
    return block
