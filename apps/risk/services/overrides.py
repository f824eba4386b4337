"""Overrides: a risk analyst forces allow or block for a payment, card fingerprint, e-mail or
IP, with a reason. A payment above the merchant's amount, and any allow of a card, e-mail or IP,
waits for a second analyst (apps.approvals kind ``risk_override``). Audited with the decision
it overrides (before) and the effect (after)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.approvals.services import approval_request_create
from apps.audit.services import Actor, audit_record
from apps.core.errors import InvalidRequestError
from apps.intents.models import PaymentIntent

from .. import store
from ..errors import OverrideNotPending
from ..models import Override, RiskDecision, RiskSettings

APPROVAL_KIND = "risk_override"


def _needs_approval(kind: str, effect: str, amount: int | None, settings: RiskSettings) -> bool:
    if kind == Override.Kind.PAYMENT:
        return amount is not None and amount > settings.override_approval_amount
    return effect == Override.Effect.ALLOW


def override_create(
    *, merchant, livemode: bool, kind: str, value: str, effect: str, reason: str, actor: Actor, user=None,
    expires_at=None,
) -> Override:  # fmt: skip
    if kind not in Override.Kind.values:
        raise InvalidRequestError("Unknown override kind.", param="kind")
    if effect not in Override.Effect.values:
        raise InvalidRequestError("The effect is allow or block.", param="effect")
    if not (reason or "").strip():
        raise InvalidRequestError("An override needs a reason.", param="reason")
    value = (value or "").strip()
    amount = currency = None
    before: dict = {}
    if kind == Override.Kind.PAYMENT:
        intent = PaymentIntent.objects.filter(merchant=merchant, livemode=livemode, public_id=value).first()
        if intent is None:
            raise InvalidRequestError(f"No such payment_intent: '{value}'", param="value")
        amount, currency = intent.amount, intent.currency
        decision = RiskDecision.objects.filter(payment_intent=intent).order_by("-id").first()
        if decision is not None:
            before = {"decision": decision.public_id, "action": decision.action, "rule": decision.rule_id,
                      "risk_score": decision.score}  # fmt: skip
    else:
        value = value.lower()
        if not value:
            raise InvalidRequestError("The value to override is required.", param="value")
    settings = RiskSettings.objects.filter(merchant=merchant).first() or RiskSettings(merchant=merchant)
    pending = _needs_approval(kind, effect, amount, settings)
    with transaction.atomic():
        override = Override.objects.create(
            merchant=merchant, livemode=livemode, kind=kind, value=value, effect=effect, reason=reason.strip(),
            amount=amount, currency=currency or "", before=before, expires_at=expires_at,
            status=Override.Status.PENDING_APPROVAL if pending else Override.Status.ACTIVE,
            requested_by=actor.label, requested_by_user=user,
        )  # fmt: skip
        audit_record(
            actor=actor, action="risk.override.requested" if pending else "risk.override.activated",
            merchant=merchant, obj=override, before=before,
            after={"kind": kind, "effect": effect, "status": override.status}, reason=reason,
        )  # fmt: skip
        if pending:
            approval_request_create(
                kind=APPROVAL_KIND, merchant=merchant, livemode=livemode, target_type="risk.override",
                target_id=override.public_id, amount=amount, currency=currency or "", reason=reason,
                requested_by=actor, requested_by_user=user,
                payload={"kind": kind, "effect": effect, "value": value if kind == "payment" else ""},
            )  # fmt: skip
        else:
            transaction.on_commit(lambda: _publish(override))
    return override


def _publish(override: Override) -> None:
    seconds = None
    if override.expires_at:
        seconds = max(1, int((override.expires_at - timezone.now()).total_seconds()))
    key = store.override_key(override.merchant_id, override.livemode, override.kind, override.value)
    if override.status == Override.Status.ACTIVE:
        store.put(key, {"id": override.public_id, "effect": override.effect}, seconds=seconds)
    else:
        store.put(key, None)


def override_activate(*, override_id: str, actor: Actor, reason: str = "") -> Override:
    with transaction.atomic():
        override = Override.objects.select_for_update().select_related("merchant").get(public_id=override_id)
        if override.status != Override.Status.PENDING_APPROVAL:
            if override.status == Override.Status.ACTIVE:
                return override  # a re-run of the approval's executor
            raise OverrideNotPending(override_status=override.status)
        override.status = Override.Status.ACTIVE
        override.approved_by = actor.label
        override.save(update_fields=["status", "approved_by", "updated_at"])
        audit_record(
            actor=actor, action="risk.override.activated", merchant=override.merchant, obj=override,
            before=override.before, after={"kind": override.kind, "effect": override.effect, "status": "active"},
            reason=reason,
        )  # fmt: skip
        transaction.on_commit(lambda: _publish(override))
    return override


def override_reject(*, override_id: str, actor: Actor, reason: str = "") -> Override:
    with transaction.atomic():
        override = Override.objects.select_for_update().select_related("merchant").get(public_id=override_id)
        if override.status != Override.Status.PENDING_APPROVAL:
            raise OverrideNotPending(override_status=override.status)
        override.status = Override.Status.REJECTED
        override.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="risk.override.rejected", merchant=override.merchant, obj=override,
                     after={"status": "rejected"}, reason=reason)  # fmt: skip
    return override


def override_revoke(*, override_pk: int, actor: Actor, reason: str) -> Override:
    with transaction.atomic():
        override = Override.objects.select_for_update().select_related("merchant").get(pk=override_pk)
        if override.status == Override.Status.ACTIVE:
            override.status = Override.Status.REVOKED
            override.save(update_fields=["status", "updated_at"])
            audit_record(actor=actor, action="risk.override.revoked", merchant=override.merchant, obj=override,
                         before={"status": "active"}, after={"status": "revoked"}, reason=reason)  # fmt: skip
            transaction.on_commit(lambda: _publish(override))
    return override
