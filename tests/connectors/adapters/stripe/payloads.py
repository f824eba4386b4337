"""Stripe objects as the API returns them, shaped after the Stripe API reference's examples
("The PaymentIntent object", "The Charge object", "The Refund object", "The Balance Transaction
object", "Errors", "The Event object"; API version 2026-10-28.endive). Ids follow Stripe's formats
(pi_3…, ch_3…, re_3…, txn_3…, evt_3…, req_…)."""

from __future__ import annotations

CREATED = 1767607200  # 2026-01-05T10:00:00Z


def charge(
    pi: str, *, amount=1000, captured=True, status="succeeded", currency="eur", decline=None, three_ds=None
):
    return {
        "id": f"ch_3{pi[4:]}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured else 0,
        "amount_refunded": 0,
        "balance_transaction": f"txn_3{pi[4:]}" if captured else None,
        "captured": captured,
        "created": CREATED,
        "currency": currency,
        "livemode": False,
        "metadata": {},
        "outcome": {
            "network_decline_code": decline[1] if decline else None,
            "network_status": "declined_by_network" if decline else "approved_by_network",
            "reason": decline[0] if decline else None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "The bank did not return any further details with this decline."
            if decline
            else "Payment complete.",
            "type": "issuer_declined" if decline else "authorized",
        },
        "paid": status == "succeeded",
        "payment_intent": pi,
        "payment_method": "pm_1QExampleCardVisa0001",
        "payment_method_details": {
            "card": {
                "amount_authorized": amount,
                "authorization_code": "123456",
                "brand": "visa",
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "exp_month": 3,
                "exp_year": 2030,
                "funding": "credit",
                "last4": "1111",
                "network": "visa",
                "network_transaction_id": "586102114810120",
                "three_d_secure": three_ds,
            },
            "type": "card",
        },
        "status": status,
    }


def intent(
    pi: str,
    *,
    status="succeeded",
    amount=1000,
    capture_method="automatic",
    key="ch_conf",
    received=None,
    capturable=0,
    next_action=None,
    last_error=None,
    latest_charge=None,
    currency="eur",
):
    return {
        "id": pi,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": capturable,
        "amount_details": {"tip": {}},
        "amount_received": amount if received is None and status == "succeeded" else (received or 0),
        "application": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{pi}_secret_Zm9yIGNvbmZvcm1hbmNl",
        "confirmation_method": "automatic",
        "created": CREATED,
        "currency": currency,
        "customer": None,
        "description": "Order 1001",
        "last_payment_error": last_error,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {"order_id": "1001", "clearhouse_idempotency_key": key, "clearhouse_reference": key},
        "next_action": next_action,
        "payment_method": "pm_1QExampleCardVisa0001",
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "status": status,
    }


def refund(re: str, pi: str, *, amount=400, status="succeeded", failure_reason=None):
    return {
        "id": re,
        "object": "refund",
        "amount": amount,
        "balance_transaction": f"txn_{re[3:]}",
        "charge": f"ch_3{pi[4:]}",
        "created": CREATED + 3600,
        "currency": "eur",
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "failure_reason": failure_reason,
        "metadata": {},
        "payment_intent": pi,
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def card_error(pi: str, *, code="card_declined", decline_code="insufficient_funds",
               message="Your card has insufficient funds."):  # fmt: skip
    failed = intent(
        pi,
        status="requires_payment_method",
        last_error={"code": code, "decline_code": decline_code, "message": message, "type": "card_error"},
    )
    failed["latest_charge"] = f"ch_3{pi[4:]}"
    return {
        "error": {
            "charge": f"ch_3{pi[4:]}",
            "code": code,
            "decline_code": decline_code,
            "doc_url": "https://docs.stripe.com/error-codes/card-declined",
            "message": message,
            "network_decline_code": "51",
            "payment_intent": failed,
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_9Xz1ConformanceA?t=1767607200",
            "type": "card_error",
        }
    }


def invalid_request(code: str, message: str, param: str | None = None):
    body = {
        "error": {
            "code": code,
            "doc_url": f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}",
            "message": message,
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_9Xz1ConformanceB?t=1767607200",
            "type": "invalid_request_error",
        }
    }
    if param:
        body["error"]["param"] = param
    return body
