"""Simulated acquirer and network events (`POST /v1/test_helpers/simulate`).

A simulation is not a fake event: it is the signed callback the sandbox acquirer would send,
handed to the same inbound path a connector callback takes (`inbound_webhook_receive`: raw row
stored, signature verified, deduplicated, dispatched through `apps.connectors.inbound` to the app
that owns the state). The dispute row, ledger entries, audit entries and webhooks are therefore the
ones a real callback produces. Each simulation's provider event id is derived from its own id, so
running it twice (a retried task, the sweeper and the countdown both firing) applies it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors.registry import get_adapter
from apps.connectors.services import connector_credentials, connector_ensure_sandbox
from apps.core.errors import ApplicationError
from apps.disputes.models import Dispute
from apps.disputes.selectors import dispute_get
from apps.intents.models import Charge, PaymentIntent
from apps.intents.selectors import payment_intent_get
from apps.payouts.models import Payout
from apps.payouts.selectors import payout_get
from apps.refunds.models import Refund
from apps.refunds.selectors import refund_get
from apps.webhooks.models import InboundWebhook
from apps.webhooks.services import inbound_webhook_receive

from ..errors import (
    SimulationNotApplicable,
    SimulationObjectInvalid,
    SimulationParameterInvalid,
    SimulationTypeUnknown,
)
from ..models import Simulation
from ..tasks import simulation_apply_task

MAX_DELAY_MS = 600_000
DISPUTE_OUTCOMES = ("won", "lost")


@dataclass(frozen=True)
class Callback:
    """What the sandbox acquirer sends: the inbound type, about which provider reference."""

    connector: object
    type: str
    gateway_reference: str
    amount: int | None
    currency: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    prefix: str  # the public id prefix of the object it acts on
    expected: str  # for the error message
    params: tuple[str, ...]
    check: Callable  # (merchant, livemode, object_id, params) -> None, raises when not applicable
    build: Callable  # (simulation) -> Callback


# --- per type ---------------------------------------------------------------------------------


def _intent(sim_or_merchant, livemode=None, object_id=None) -> PaymentIntent:
    if isinstance(sim_or_merchant, Simulation):
        sim = sim_or_merchant
        return payment_intent_get(merchant=sim.merchant, livemode=sim.livemode, id=sim.object_id)
    return payment_intent_get(merchant=sim_or_merchant, livemode=livemode, id=object_id)


def _captured_charge(intent: PaymentIntent) -> Charge | None:
    return intent.charges.filter(captured=True).select_related("connector").order_by("-id").first()


def _latest_charge(intent: PaymentIntent) -> Charge | None:
    if intent.latest_charge_id is None:
        return None
    return Charge.objects.select_related("connector").get(pk=intent.latest_charge_id)


def _not_applicable(kind: str, target: str, detail: str) -> SimulationNotApplicable:
    return SimulationNotApplicable(kind=kind, target=target, detail=detail)


def _check_dispute_created(merchant, livemode, object_id, params) -> None:
    intent = _intent(merchant, livemode, object_id)
    if _captured_charge(intent) is None:
        raise _not_applicable(
            "charge.dispute.created", object_id, f"it has a status of {intent.status} and no captured charge."
        )
    reason = params.get("reason", "fraudulent")
    if reason not in Dispute.Reason.values:
        raise SimulationParameterInvalid(
            name="reason", detail=f"one of {', '.join(Dispute.Reason.values)}", param="reason"
        )


def _build_dispute_created(sim: Simulation) -> Callback:
    intent = _intent(sim)
    charge = _captured_charge(intent)
    if charge is None:
        raise _not_applicable("charge.dispute.created", sim.object_id, "it has no captured charge any more.")
    amount = int(sim.params.get("amount") or charge.amount_captured)
    return Callback(
        connector=charge.connector,
        type="charge.dispute.created",
        gateway_reference=charge.gateway_reference,
        amount=amount,
        currency=charge.currency,
        data={
            "dispute": f"sbxdp_{sim.public_id.removeprefix('sim_').lower()}",
            "reason": sim.params.get("reason", "fraudulent"),
            "status": "needs_response",
        },
    )


def _check_dispute_closed(merchant, livemode, object_id, params) -> None:
    dispute_get(merchant=merchant, livemode=livemode, id=object_id)
    if params.get("outcome") not in DISPUTE_OUTCOMES:
        raise SimulationParameterInvalid(name="outcome", detail="won or lost", param="outcome")


def _build_dispute_closed(sim: Simulation) -> Callback:
    dispute = dispute_get(merchant=sim.merchant, livemode=sim.livemode, id=sim.object_id)
    charge = Charge.objects.select_related("connector").get(pk=dispute.charge_id)
    return Callback(
        connector=charge.connector,
        type="charge.dispute.closed",
        gateway_reference=charge.gateway_reference,
        amount=dispute.amount,
        currency=dispute.currency,
        data={"dispute": dispute.connector_dispute_id, "status": sim.params["outcome"]},
    )


_REFUND_OPEN = (Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION)


def _check_refund_failed(merchant, livemode, object_id, params) -> None:
    refund = refund_get(merchant=merchant, livemode=livemode, id=object_id)
    if refund.status not in _REFUND_OPEN:
        raise _not_applicable(
            "refund.failed",
            object_id,
            f"it has a status of {refund.status}; only a pending refund can fail "
            "(refund a payment made with the test card 4000 0000 0000 5126).",
        )


def _build_refund_failed(sim: Simulation) -> Callback:
    refund = refund_get(merchant=sim.merchant, livemode=sim.livemode, id=sim.object_id)
    charge = Charge.objects.select_related("connector").get(pk=refund.charge_id)
    return Callback(
        connector=charge.connector,
        type="refund.failed",
        gateway_reference=refund.gateway_reference,
        amount=refund.amount,
        currency=refund.currency,
        data={
            "decline_code": sim.params.get("failure_reason", "refund_failed"),
            "message": "The issuer refused the refund (simulated).",
        },
    )


_PAYOUT_OPEN = (Payout.Status.PENDING, Payout.Status.IN_TRANSIT)


def _check_payout_failed(merchant, livemode, object_id, params) -> None:
    payout = payout_get(merchant=merchant, livemode=livemode, id=object_id)
    if payout.status not in _PAYOUT_OPEN:
        raise _not_applicable(
            "payout.failed", object_id, f"it has a status of {payout.status}; only an open payout can fail."
        )


def _build_payout_failed(sim: Simulation) -> Callback:
    payout = payout_get(merchant=sim.merchant, livemode=sim.livemode, id=sim.object_id)
    return Callback(
        connector=connector_ensure_sandbox(merchant=sim.merchant),
        type="payout.failed",
        gateway_reference=payout.bank_reference or payout.public_id,
        amount=payout.amount,
        currency=payout.currency,
        data={
            "failure_code": sim.params.get("failure_code", "account_closed"),
            "message": "The receiving bank returned the payout (simulated).",
        },
    )


def _check_late_capture(merchant, livemode, object_id, params) -> None:
    intent = _intent(merchant, livemode, object_id)
    charge = _latest_charge(intent)
    if charge is None or charge.pending_operation != Charge.Operation.CAPTURE:
        raise _not_applicable(
            "charge.captured",
            object_id,
            f"it has a status of {intent.status} and no capture awaiting the acquirer's answer "
            "(capture with metadata[sandbox_fault]=capture:timeout first).",
        )


def _build_late_capture(sim: Simulation) -> Callback:
    charge = _latest_charge(_intent(sim))
    return Callback(
        connector=charge.connector,
        type="charge.captured",
        gateway_reference=charge.gateway_reference,
        amount=charge.pending_operation_amount,
        currency=charge.currency,
    )


_OPEN_ATTEMPT = (Charge.Status.SUBMITTING, Charge.Status.UNKNOWN, Charge.Status.PENDING)


def _check_async_outcome(kind: str):
    def check(merchant, livemode, object_id, params) -> None:
        intent = _intent(merchant, livemode, object_id)
        charge = _latest_charge(intent)
        if (
            intent.status != PaymentIntent.Status.PROCESSING
            or charge is None
            or charge.status not in _OPEN_ATTEMPT
        ):
            raise _not_applicable(
                kind,
                object_id,
                f"it has a status of {intent.status}; only a processing payment waiting on the "
                "acquirer can be settled this way.",
            )
        if not charge.gateway_reference:
            raise _not_applicable(
                kind, object_id, "the acquirer never gave a reference for its attempt (it never received it)."
            )

    return check


def _build_async_outcome(inbound_type: str):
    def build(sim: Simulation) -> Callback:
        charge = _latest_charge(_intent(sim))
        data = {}
        if inbound_type == "charge.failed":
            data = {
                "decline_code": sim.params.get("decline_code", "generic_decline"),
                "network_code": "05",
                "message": "Your card was declined (simulated).",
            }
        return Callback(
            connector=charge.connector,
            type=inbound_type,
            gateway_reference=charge.gateway_reference,
            amount=charge.amount,
            currency=charge.currency,
            data=data,
        )

    return build


_EFW_TYPES = (
    "card_never_received",
    "fraudulent_card_application",
    "made_with_counterfeit_card",
    "made_with_lost_card",
    "made_with_stolen_card",
    "misc",
    "unauthorized_use_of_card",
)  # Stripe's radar.early_fraud_warning fraud_type values (apps.risk.models.EarlyFraudWarning)


def _check_early_fraud_warning(merchant, livemode, object_id, params) -> None:
    intent = _intent(merchant, livemode, object_id)
    charge = _latest_charge(intent)
    if charge is None or charge.status not in (Charge.Status.SUCCEEDED, Charge.Status.AUTHORIZED):
        raise _not_applicable(
            "early_fraud_warning.created",
            object_id,
            f"it has a status of {intent.status} and no successful charge.",
        )
    if params.get("fraud_type", "made_with_stolen_card") not in _EFW_TYPES:
        raise SimulationParameterInvalid(
            name="fraud_type", detail=f"one of {', '.join(_EFW_TYPES)}", param="fraud_type"
        )


def _build_early_fraud_warning(sim: Simulation) -> Callback:
    charge = _latest_charge(_intent(sim))
    return Callback(
        connector=charge.connector,
        type="radar.early_fraud_warning.created",
        gateway_reference=charge.gateway_reference,
        amount=charge.amount,
        currency=charge.currency,
        data={
            "warning": f"sbxefw_{sim.public_id.removeprefix('sim_').lower()}",
            "fraud_type": sim.params.get("fraud_type", "made_with_stolen_card"),
        },
    )


KINDS: dict[str, Kind] = {
    "charge.dispute.created": Kind("pi", "a payment intent (pi_…)", ("reason", "amount"),
                                   _check_dispute_created, _build_dispute_created),
    "charge.dispute.closed": Kind("dp", "a dispute (dp_…)", ("outcome",),
                                  _check_dispute_closed, _build_dispute_closed),
    "refund.failed": Kind("re", "a refund (re_…)", ("failure_reason",), _check_refund_failed,
                          _build_refund_failed),
    "payout.failed": Kind("po", "a payout (po_…)", ("failure_code",), _check_payout_failed,
                          _build_payout_failed),
    "charge.captured": Kind("pi", "a payment intent (pi_…)", (), _check_late_capture, _build_late_capture),
    "early_fraud_warning.created": Kind("pi", "a payment intent (pi_…)", ("fraud_type",),
                                        _check_early_fraud_warning, _build_early_fraud_warning),
    "payment_intent.succeeded": Kind("pi", "a payment intent (pi_…)", (),
                                     _check_async_outcome("payment_intent.succeeded"),
                                     _build_async_outcome("charge.succeeded")),
    "payment_intent.payment_failed": Kind("pi", "a payment intent (pi_…)", ("decline_code",),
                                          _check_async_outcome("payment_intent.payment_failed"),
                                          _build_async_outcome("charge.failed")),
}  # fmt: skip


# --- the service ------------------------------------------------------------------------------


def simulation_create(
    *, merchant, livemode: bool, type: str, object_id: str, params: dict | None = None, delay_ms: int = 0,
    actor: Actor,
) -> Simulation:  # fmt: skip
    """Checks the target, records the simulation, and applies it now (``delay_ms`` 0) or after
    the delay (a task with a countdown, and the sweeper as a safety net if the broker loses it)."""
    kind = KINDS.get(type)
    if kind is None:
        raise SimulationTypeUnknown(value=str(type)[:64], supported=", ".join(KINDS))
    if not isinstance(object_id, str) or not object_id.startswith(kind.prefix + "_"):
        raise SimulationObjectInvalid(kind=type, expected=kind.expected, value=str(object_id)[:64])
    params = {k: v for k, v in (params or {}).items() if k in kind.params and v is not None}
    if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or not 0 <= delay_ms <= MAX_DELAY_MS:
        raise SimulationParameterInvalid(
            name="delay_ms", detail=f"an integer from 0 to {MAX_DELAY_MS}", param="delay_ms"
        )
    kind.check(merchant, livemode, object_id, params)
    now = timezone.now()
    with transaction.atomic():
        sim = Simulation.objects.create(
            merchant=merchant, livemode=livemode, type=type, object_id=object_id, params=params,
            run_at=now + dt.timedelta(milliseconds=delay_ms),
        )  # fmt: skip
        audit_record(
            actor=actor, action="test_helpers.simulation_created", merchant=merchant, obj=sim,
            after={"type": type, "object": object_id, "params": params, "delay_ms": delay_ms},
        )  # fmt: skip
        if delay_ms:
            transaction.on_commit(
                lambda: simulation_apply_task.apply_async(args=[sim.pk], countdown=delay_ms / 1000)
            )
    if delay_ms:
        return sim
    return simulation_apply(simulation_id=sim.pk)


def simulation_apply(*, simulation_id: int) -> Simulation:
    """Sends the simulated callback through the inbound path and records what its owner did.
    Safe to run twice: the second run finds the row done (or the inbound dedupe answers)."""
    sim = Simulation.objects.select_related("merchant").get(pk=simulation_id)
    if sim.status != Simulation.Status.SCHEDULED:
        return sim
    fields: dict = {"applied_at": timezone.now()}
    try:
        callback = KINDS[sim.type].build(sim)
        outcome = _send(sim, callback)
    except ApplicationError as exc:
        fields.update(status=Simulation.Status.FAILED, result=f"{exc.code}: {exc.message}"[:200])
    else:
        row = outcome.webhook
        original = row.duplicate_of if outcome.duplicate else row
        processed = original is not None and original.status == InboundWebhook.Status.PROCESSED
        fields.update(
            status=Simulation.Status.APPLIED if processed else Simulation.Status.IGNORED,
            result=(original.result if original is not None else row.result) or row.status,
            provider_event_id=row.provider_event_id,
            inbound_webhook=original or row,
        )
    updated = Simulation.objects.filter(pk=sim.pk, status=Simulation.Status.SCHEDULED).update(**fields)
    sim.refresh_from_db()
    if updated:
        sim.inbound_webhook = fields.get("inbound_webhook")
    return sim


def _send(sim: Simulation, callback: Callback):
    if callback.connector.code != "sandbox":
        raise _not_applicable(
            sim.type, sim.object_id, "only the sandbox acquirer's objects can be simulated."
        )
    adapter = get_adapter(
        callback.connector.code,
        credentials=connector_credentials(callback.connector),
        livemode=callback.connector.livemode,
    )
    body, headers = adapter.build_webhook(
        type=callback.type,
        gateway_reference=callback.gateway_reference,
        amount=callback.amount,
        currency=callback.currency,
        data={**callback.data, "simulation": sim.public_id},
        event_id=f"sbxevt_{sim.public_id}",
    )
    return inbound_webhook_receive(
        connector_ref=callback.connector.public_id, body=body, headers=headers, remote_ip="127.0.0.1"
    )


def simulations_run_due(*, limit: int = 200) -> int:
    """The sweeper: scheduled simulations whose time has come (a lost countdown task)."""
    due = list(
        Simulation.objects.filter(status=Simulation.Status.SCHEDULED, run_at__lte=timezone.now())
        .order_by("run_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        simulation_apply(simulation_id=pk)
    return len(due)
