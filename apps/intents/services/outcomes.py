"""Step 3 of an authorization attempt: lock again and record the provider's answer.

``charge_record_authorization`` locks the intent and its charge and hands the answer to the one
small ``charge_record_<outcome>`` function for its type (``OUTCOMES``). Each writes the state,
the audit entry, the ledger posting and the outbox events of its outcome in that transaction,
and returns the error the caller answers with, if any. Also used by the re-check janitor and by
inbound provider events; an attempt already recorded is left alone, so replays change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor
from apps.connectors.base import Approved, Declined, Pending, RequiresAction, RetryableError
from apps.core.errors import ApplicationError
from apps.core.sql import hot_sql_enabled
from apps.ledger.services import capture_settlement_currency

from ..errors import PaymentConnectorUnavailable, PaymentDeclined
from ..locks import attempt_lock_known, charge_lock, payment_intent_lock
from ..models import Charge, PaymentIntent
from ..payloads import charge_to_dict, payment_intent_to_dict
from ..transitions import assert_charge_transition, assert_transition
from .common import AUTHORIZATION_VALIDITY, OPEN_ATTEMPT, field_state
from .writes import BatchWrites, OrmWrites


@dataclass
class Attempt:
    """The locked intent and charge an answer is recorded on, with what step 3 needs to know."""

    intent: PaymentIntent
    charge: Charge
    actor: Actor
    capture: bool
    merchant_settings: object | None
    now: datetime
    link_missing: bool
    intent_before: dict
    charge_before: dict
    writes: OrmWrites  # where the outcome's rows go (``writes.py``): the ORM or one statement

    def save(self) -> None:
        """The charge's and the intent's changed columns (one UPDATE each)."""
        self.writes.save(self.charge, self.charge_before)
        self.writes.save(self.intent, self.intent_before)

    def events(self, *events: tuple) -> None:
        """Outbox events of this outcome: (type, payload) pairs, in order."""
        self.writes.events(
            merchant=self.intent.merchant,
            livemode=self.intent.livemode,
            events=[(type_, data, None) for type_, data in events],
        )


def charge_record_authorization(
    *,
    intent_id: int,
    charge_id: int,
    result,
    actor: Actor,
    capture: bool,
    raise_errors: bool = True,
    merchant_settings=None,
    known: tuple[PaymentIntent, Charge] | None = None,
) -> PaymentIntent:
    """Locks and records an authorization outcome. `known`: the intent and charge objects of
    step 1 (same request), whose related rows are reused instead of joined again; the intent and
    charge rows themselves are always re-read under the lock."""
    now = timezone.now()
    known_intent, known_charge = known or (None, None)
    error: ApplicationError | None = None
    with transaction.atomic(durable=True):
        intent, charge, writes = _lock(
            intent_id, charge_id, known_intent, known_charge, posts=capture and isinstance(result, Approved)
        )
        attempt = Attempt(
            intent=intent, charge=charge, actor=actor, capture=capture, merchant_settings=merchant_settings,
            now=now, link_missing=intent.latest_charge_id != charge.pk,
            intent_before=field_state(intent), charge_before=field_state(charge), writes=writes,
        )  # fmt: skip
        if charge.payment_method_id and charge.payment_method_id == intent.payment_method_id:
            charge.payment_method = intent.payment_method
        intent.latest_charge = charge
        if charge.status in OPEN_ATTEMPT:
            error = OUTCOMES[type(result)](attempt, result)
        writes.flush()
    if error is not None and raise_errors:
        raise error
    return intent


def _lock(intent_id: int, charge_id: int, known_intent, known_charge, *, posts: bool):
    """The locked intent and charge and the sink of the outcome's writes. In a request (the
    objects of step 1 known) on PostgreSQL: one locking statement that also reads the ledger
    debt a capture needs, and one write statement (``sql.py``); otherwise the ORM's locks."""
    if known_intent is not None and known_charge is not None and hot_sql_enabled():
        debt_of = None
        if posts:
            merchant = known_intent.merchant
            currency = capture_settlement_currency(merchant, known_charge.currency)
            debt_of = (merchant.pk, known_intent.livemode, currency)
        intent, charge, debt = attempt_lock_known(
            intent_id, charge_id, known_intent, known_charge, debt_of=debt_of
        )
        return intent, charge, BatchWrites(debt)
    intent = payment_intent_lock(intent_id, known_intent)
    return intent, charge_lock(charge_id, intent, known_charge), OrmWrites()


def charge_record_approved(attempt: Attempt, result: Approved) -> None:
    """Authorized; with automatic capture also captured (and posted to the ledger)."""
    intent, charge, now = attempt.intent, attempt.charge, attempt.now
    _apply_checks(charge, result)
    charge.gateway_reference = result.gateway_reference or charge.gateway_reference
    charge.authorization_code = result.authorization_code
    charge.network_code = result.network_code
    charge.network_transaction_id = result.network_transaction_id
    charge.authorized_at = now
    charge.amount_authorized = charge.amount
    charge.action_reference = ""
    if attempt.capture:
        assert_charge_transition(charge, Charge.Status.SUCCEEDED)
        charge.status = Charge.Status.SUCCEEDED
        charge.captured = True
        charge.amount_captured = charge.amount
        charge.captured_at = now
        assert_transition(intent, PaymentIntent.Status.SUCCEEDED, action="confirm")
        intent.status = PaymentIntent.Status.SUCCEEDED
        intent.amount_received = charge.amount
        intent.amount_capturable = 0
        intent.succeeded_at = now
    else:
        assert_charge_transition(charge, Charge.Status.AUTHORIZED)
        charge.status = Charge.Status.AUTHORIZED
        charge.authorization_expires_at = now + AUTHORIZATION_VALIDITY
        assert_transition(intent, PaymentIntent.Status.REQUIRES_CAPTURE, action="confirm")
        intent.status = PaymentIntent.Status.REQUIRES_CAPTURE
        intent.amount_capturable = charge.amount
    intent.next_action = None
    intent.last_payment_error = None
    if attempt.capture:
        # The ledger fills the charge's fee fields (and the intent's split amounts) on the
        # objects; the saves below write them with the new state, one UPDATE each.
        settings = attempt.merchant_settings
        attempt.writes.capture(
            charge, settlement_delay_days=settings.settlement_delay_days if settings is not None else None
        )
    attempt.save()
    attempt.writes.audit(
        actor=attempt.actor,
        action="payment_intent.succeeded" if attempt.capture else "payment_intent.authorized",
        merchant=intent.merchant,
        obj=intent,
        after={"charge": charge.public_id, "gateway_reference": charge.gateway_reference,
               "status": intent.status, "amount": charge.amount},
    )  # fmt: skip
    intent_type = (
        "payment_intent.succeeded" if attempt.capture else "payment_intent.amount_capturable_updated"
    )
    attempt.events(
        ("charge.succeeded", charge_to_dict(charge)), (intent_type, payment_intent_to_dict(intent))
    )


def charge_record_declined(attempt: Attempt, result: Declined) -> PaymentDeclined:
    return fail_attempt(attempt, result)


def charge_record_requires_action(attempt: Attempt, result: RequiresAction) -> None:
    """The customer has a step to take (3DS challenge, wallet approval, QR code)."""
    intent, charge = attempt.intent, attempt.charge
    assert_charge_transition(charge, Charge.Status.REQUIRES_ACTION)
    charge.status = Charge.Status.REQUIRES_ACTION
    charge.action_reference = result.reference
    charge.gateway_reference = result.gateway_reference or charge.gateway_reference
    if result.three_ds:
        charge.three_ds = {"result": "challenge_required", "version": result.raw.get("three_ds_version")}
    assert_transition(intent, PaymentIntent.Status.REQUIRES_ACTION, action="confirm")
    intent.status = PaymentIntent.Status.REQUIRES_ACTION
    intent.next_action = next_action_for(intent, result)
    attempt.save()
    attempt.writes.audit(
        actor=attempt.actor, action="payment_intent.requires_action", merchant=intent.merchant, obj=intent,
        after={"charge": charge.public_id, "kind": result.kind, "three_ds": result.three_ds},
    )  # fmt: skip
    attempt.events(("payment_intent.requires_action", payment_intent_to_dict(intent)))


def charge_record_pending(attempt: Attempt, result: Pending) -> None:
    """The provider took the attempt and answers later (the janitor or an inbound event)."""
    charge = attempt.charge
    assert_charge_transition(charge, Charge.Status.PENDING)
    charge.status = Charge.Status.PENDING
    charge.gateway_reference = result.gateway_reference or charge.gateway_reference
    attempt.save()  # the intent's latest_charge when the link was missing
    attempt.events(("charge.pending", charge_to_dict(charge)))


def charge_record_retryable_error(attempt: Attempt, result: RetryableError) -> ApplicationError | None:
    """Outcome unknown (it may have reached the provider): left for the janitor to ask. Never
    reached the provider: the attempt failed and nothing happened; the client may retry."""
    intent, charge = attempt.intent, attempt.charge
    if result.outcome_unknown:
        assert_charge_transition(charge, Charge.Status.UNKNOWN)
        charge.status = Charge.Status.UNKNOWN
        charge.failure_message = result.message[:500]
        attempt.save()  # the intent's latest_charge when the link was missing
        attempt.writes.audit(
            actor=attempt.actor, action="charge.outcome_unknown", merchant=intent.merchant, obj=charge,
            after={"code": result.code, "message": result.message},
        )  # fmt: skip
        return None
    message = PaymentConnectorUnavailable.message.format(reason=result.code)
    declined = Declined(code="processing_error", decline_code="", network_code="", message=message)
    fail_attempt(attempt, declined, error_type="api_error")
    return PaymentConnectorUnavailable(message, extra={"payment_intent": payment_intent_to_dict(intent)})


OUTCOMES: dict[type, Callable[[Attempt, object], ApplicationError | None]] = {
    Approved: charge_record_approved,
    Declined: charge_record_declined,
    RequiresAction: charge_record_requires_action,
    Pending: charge_record_pending,
    RetryableError: charge_record_retryable_error,
}


def _apply_checks(charge: Charge, result) -> None:
    charge.cvc_check = result.cvc_check or ""
    charge.address_line1_check = result.address_line1_check or ""
    charge.address_postal_code_check = result.address_postal_code_check or ""
    charge.risk_score = result.risk_score
    charge.risk_level = result.risk_level or ""
    if result.three_ds is not None:
        charge.three_ds = dict(result.three_ds)


def fail_attempt(attempt: Attempt, result: Declined, *, error_type: str = "card_error") -> PaymentDeclined:
    """The attempt failed: the intent returns to requires_payment_method with last_payment_error."""
    intent, charge, now = attempt.intent, attempt.charge, attempt.now
    _apply_checks(charge, result)
    assert_charge_transition(charge, Charge.Status.FAILED)
    charge.status = Charge.Status.FAILED
    charge.failure_code = result.code
    charge.decline_code = result.decline_code or ""
    charge.network_code = result.network_code or ""
    charge.failure_message = result.message[:500]
    charge.gateway_reference = result.gateway_reference or charge.gateway_reference
    charge.failed_at = now
    charge.action_reference = ""
    assert_transition(intent, PaymentIntent.Status.REQUIRES_PAYMENT_METHOD, action="confirm")
    intent.status = PaymentIntent.Status.REQUIRES_PAYMENT_METHOD
    intent.next_action = None
    intent.last_payment_error = {
        "type": error_type,
        "code": result.code,
        "decline_code": result.decline_code or None,
        "network_decline_code": result.network_code or None,
        "message": result.message,
        "charge": charge.public_id,
        "payment_method": {
            "id": charge.payment_method.public_id if charge.payment_method_id else None,
            **(charge.payment_method_details or {}),
        },
    }
    attempt.save()
    attempt.writes.audit(
        actor=attempt.actor, action="payment_intent.payment_failed", merchant=intent.merchant, obj=intent,
        after={"charge": charge.public_id, "code": result.code, "decline_code": result.decline_code,
               "network_code": result.network_code},
    )  # fmt: skip
    attempt.events(
        ("charge.failed", charge_to_dict(charge)),
        ("payment_intent.payment_failed", payment_intent_to_dict(intent)),
    )
    return PaymentDeclined(
        result.message,
        code=result.code,
        decline_code=result.decline_code or None,
        extra={"charge": charge.public_id, "payment_intent": payment_intent_to_dict(intent)},
    )


def next_action_for(intent: PaymentIntent, action: RequiresAction) -> dict:
    """The intent's `next_action` for the customer's step the provider asked for."""
    if action.kind == "display_qr_code":
        return {
            "type": "display_qr_code",
            "display_qr_code": {
                "data": action.qr_data,
                "image_url_svg": action.qr_image_url,
                "hosted_instructions_url": action.url,
                "expires_at": action.expires_at,
            },
        }
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {"url": action.url, "return_url": intent.return_url or None},
        "three_d_secure": bool(action.three_ds),
        "expires_at": action.expires_at,
    }
