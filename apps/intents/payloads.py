"""The public shape of payment intents and charges: the API's representations, the webhook
event payloads and the snapshots services write to the audit log all come from here."""

from apps.core.payloads import unix

from . import hooks
from .models import Charge, PaymentIntent


def _public(obj) -> str | None:
    return obj.public_id if obj is not None else None


def payment_intent_to_dict(intent: PaymentIntent, *, include_client_secret: bool = True) -> dict:
    return {
        "id": intent.public_id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount_capturable,
        "amount_received": intent.amount_received,
        "amount_refunded": intent.amount_refunded,
        "currency": intent.currency.lower(),
        "status": intent.status,
        "capture_method": intent.capture_method,
        "confirmation_method": "automatic",
        "client_secret": intent.client_secret if include_client_secret else None,
        "created": unix(intent.created_at),
        "customer": _public(intent.customer) if intent.customer_id else None,
        "payment_method": _public(intent.payment_method) if intent.payment_method_id else None,
        "payment_method_types": intent.payment_method_types,
        "latest_charge": _public(intent.latest_charge) if intent.latest_charge_id else None,
        "description": intent.description or None,
        "statement_descriptor": intent.statement_descriptor or None,
        "metadata": intent.metadata or {},
        "receipt_email": intent.receipt_email or None,
        "return_url": intent.return_url or None,
        "setup_future_usage": intent.setup_future_usage or None,
        "next_action": intent.next_action,
        "last_payment_error": intent.last_payment_error,
        "cancellation_reason": intent.cancellation_reason or None,
        "canceled_at": unix(intent.canceled_at),
        "split": intent.split,
        "livemode": intent.livemode,
    }


def payment_intent_public_dict(intent: PaymentIntent) -> dict:
    """What a publishable key holding the client secret may see (Stripe's client-side subset)."""
    full = payment_intent_to_dict(intent)
    keep = (
        "id", "object", "amount", "currency", "status", "capture_method", "client_secret", "created",
        "payment_method", "payment_method_types", "next_action", "last_payment_error", "livemode",
        "description", "cancellation_reason", "canceled_at", "receipt_email", "setup_future_usage",
    )  # fmt: skip
    return {key: full[key] for key in keep}


STRIPE_CHARGE_STATUS = {
    Charge.Status.SUBMITTING: "pending",
    Charge.Status.UNKNOWN: "pending",
    Charge.Status.PENDING: "pending",
    Charge.Status.REQUIRES_ACTION: "pending",
    Charge.Status.AUTHORIZED: "succeeded",
    Charge.Status.SUCCEEDED: "succeeded",
    Charge.Status.FAILED: "failed",
    Charge.Status.CANCELED: "succeeded",
}


def charge_to_dict(charge: Charge) -> dict:
    return hooks.extend_charge_payload(charge, _charge_dict(charge))  # risk: outcome + risk fields


def _charge_dict(charge: Charge) -> dict:
    details = dict(charge.payment_method_details or {})
    if charge.payment_method_type == "card":
        card = dict(details.get("card") or {})
        card["checks"] = {
            "cvc_check": charge.cvc_check or None,
            "address_line1_check": charge.address_line1_check or None,
            "address_postal_code_check": charge.address_postal_code_check or None,
        }
        card["three_d_secure"] = charge.three_ds
        card["network_transaction_id"] = charge.network_transaction_id or None
        details = {"type": "card", "card": card}
    return {
        "id": charge.public_id,
        "object": "charge",
        "amount": charge.amount,
        "amount_authorized": charge.amount_authorized,
        "amount_captured": charge.amount_captured,
        "amount_refunded": charge.amount_refunded,
        "currency": charge.currency.lower(),
        "status": STRIPE_CHARGE_STATUS[charge.status],
        "attempt_status": charge.status,
        "captured": charge.captured,
        "paid": charge.status in (Charge.Status.AUTHORIZED, Charge.Status.SUCCEEDED),
        "refunded": charge.captured and charge.amount_refunded >= charge.amount_captured > 0,
        "payment_intent": charge.payment_intent.public_id,
        "payment_method": _public(charge.payment_method) if charge.payment_method_id else None,
        "payment_method_details": details,
        "connector": charge.connector.public_id,
        "gateway_reference": charge.gateway_reference or None,
        "authorization_code": charge.authorization_code or None,
        "outcome": {
            "network_status": _network_status(charge),
            "network_code": charge.network_code or None,
            "risk_level": charge.risk_level or None,
            "risk_score": charge.risk_score,
            "type": "authorized"
            if charge.authorized_at
            else ("issuer_declined" if charge.decline_code else None),
        },
        "failure_code": charge.failure_code or None,
        "failure_message": charge.failure_message or None,
        "decline_code": charge.decline_code or None,
        "three_d_secure": charge.three_ds,
        "authorized_at": unix(charge.authorized_at),
        "authorization_expires_at": unix(charge.authorization_expires_at),
        "captured_at": unix(charge.captured_at),
        "application_fee_amount": charge.application_fee_amount,
        "fee_details": charge.fee_details,
        "fx": charge.fx,
        "routing": charge.routing,
        "created": unix(charge.created_at),
        "livemode": charge.livemode,
    }


def _network_status(charge: Charge) -> str | None:
    if charge.authorized_at:
        return "approved_by_network"
    if charge.status == Charge.Status.FAILED:
        return "declined_by_network" if charge.network_code else "not_sent_to_network"
    return None


def next_action_to_dict(intent: PaymentIntent) -> dict:
    return {
        "object": "payment_intent.next_action",
        "payment_intent": intent.public_id,
        "status": intent.status,
        "next_action": intent.next_action,
    }
