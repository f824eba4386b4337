"""Early fraud warnings (Stripe's ``radar.early_fraud_warning``): the acquirer relays the issuer's
fraud report on a charge, through the inbound path (registered for ``radar.early_fraud_warning.``
in apps.risk's ``ready()``). The warning is stored once per acquirer warning id, the charge's risk
decision is labelled fraud (rules' precision and backtests read it), and
``radar.early_fraud_warning.created`` is recorded."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.audit.services import Actor, audit_record
from apps.intents.models import Charge
from apps.intents.selectors import charges_by_gateway_reference
from apps.webhooks.services import event_record

from ..models import EarlyFraudWarning, FraudLabel, RiskDecision
from ..payloads import early_fraud_warning_to_dict


def _actionable(charge: Charge) -> bool:
    from apps.disputes.models import Dispute

    fully_refunded = charge.amount_captured > 0 and charge.amount_refunded >= charge.amount_captured
    return not fully_refunded and not Dispute.objects.filter(charge_id=charge.pk).exists()


def early_fraud_warning_apply_inbound_event(*, connector, event) -> str:
    """``applied``, ``ignored`` (a warning already received), or ``unknown_reference``."""
    if event.type != "radar.early_fraud_warning.created":
        return f"ignored:unhandled_type:{event.type}"
    data = dict(event.data or {})
    warning_ref = str(data.get("warning") or data.get("id") or "")[:100]
    if not warning_ref:
        return "ignored:no_warning_id"
    charge = (
        charges_by_gateway_reference(event.gateway_reference)
        .filter(connector=connector)
        .select_related("payment_intent", "merchant")
        .order_by("-id")
        .first()
    )
    if charge is None:
        return "unknown_reference"
    fraud_type = str(data.get("fraud_type") or EarlyFraudWarning.FraudType.MISC)
    if fraud_type not in EarlyFraudWarning.FraudType.values:
        fraud_type = EarlyFraudWarning.FraudType.MISC
    try:
        with transaction.atomic():
            warning = EarlyFraudWarning.objects.create(
                merchant=charge.merchant, livemode=charge.livemode, charge=charge,
                payment_intent=charge.payment_intent, connector=connector, connector_warning_id=warning_ref,
                fraud_type=fraud_type, actionable=_actionable(charge),
            )  # fmt: skip
            decision = (
                RiskDecision.objects.filter(charge=charge)
                .order_by("-id")
                .values_list("pk", flat=True)
                .first()
            )
            if decision is not None:
                FraudLabel.objects.get_or_create(
                    decision_id=decision, source="early_fraud_warning", source_id=warning.public_id,
                    defaults={"label": FraudLabel.Label.FRAUD},
                )  # fmt: skip
            audit_record(
                actor=Actor.system(f"connector:{connector.code}"), action="early_fraud_warning.created",
                merchant=charge.merchant, obj=warning,
                after={"charge": charge.public_id, "fraud_type": fraud_type, "actionable": warning.actionable},
            )  # fmt: skip
            event_record(
                merchant=charge.merchant, livemode=charge.livemode, type="radar.early_fraud_warning.created",
                data=early_fraud_warning_to_dict(warning),
            )  # fmt: skip
    except IntegrityError:
        return "ignored"  # this warning was received before
    return "applied"
