"""The public shape of the vault's objects: customers, payment methods, tokens.

One home for each shape, used alike by the API views, the webhook events and the services (the
audit entries). No shape ever includes the number, the CVC or the encrypted blob. The `*Output`
serializers in api/serializers.py describe the same shapes for the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt

from apps.core.payloads import unix
from apps.vault.models import Customer, MicroDepositVerification, PaymentMethod, Token

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(value: dict | None) -> dict | None:
    if not value:
        return None
    return {key: value.get(key) or None for key in ADDRESS_KEYS}


def billing_details_to_dict(value: dict | None) -> dict:
    value = value or {}
    return {
        "address": _address(value.get("address")) or dict.fromkeys(ADDRESS_KEYS),
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
    }


_NO_DEFAULT = object()


def customer_to_dict(customer: Customer) -> dict:
    if customer.deleted_at is not None:
        return {"id": customer.public_id, "object": "customer", "deleted": True}
    default_pm = getattr(customer, "default_payment_method_id", _NO_DEFAULT)
    if default_pm is _NO_DEFAULT:
        default_pm = (
            PaymentMethod.objects.filter(customer=customer, is_default=True, deleted_at__isnull=True)
            .values_list("public_id", flat=True)
            .first()
        )
    return {
        "id": customer.public_id,
        "object": "customer",
        "address": _address(customer.address),
        "created": unix(customer.created_at),
        "description": customer.description or None,
        "email": customer.email or None,
        "invoice_settings": {"default_payment_method": default_pm},
        "livemode": customer.livemode,
        "metadata": customer.metadata or {},
        "name": customer.name or None,
        "phone": customer.phone or None,
    }


def customer_deleted_dict(customer: Customer) -> dict:
    return {"id": customer.public_id, "object": "customer", "deleted": True}


def _date_unix(value: dt.date | None) -> int | None:
    if value is None:
        return None
    return int(dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC).timestamp())


def _verification(pm: PaymentMethod) -> dict:
    data: dict = {
        "status": pm.verification_status,
        "verified_at": unix(pm.verified_at),
        "method": (pm.verification_detail or {}).get("method"),
    }
    if pm.type in PaymentMethod.BANK_TYPES:
        try:
            deposits: MicroDepositVerification | None = pm.microdeposits  # select_related by the selectors
        except MicroDepositVerification.DoesNotExist:
            deposits = None
        if deposits is not None:
            data["microdeposits"] = {
                "status": deposits.status,
                "attempts_remaining": max(0, MicroDepositVerification.MAX_ATTEMPTS - deposits.attempts),
                "arrival_date": _date_unix(deposits.arrival_date),
                "currency": deposits.currency.lower(),
            }
    return data


def payment_method_to_dict(pm: PaymentMethod) -> dict:
    """The API representation of a payment method (also the `data` of its events)."""
    detail = pm.verification_detail or {}
    body: dict = {
        "id": pm.public_id,
        "object": "payment_method",
        "type": pm.type,
        "allow_redisplay": pm.allow_redisplay,
        "billing_details": billing_details_to_dict(pm.billing_details),
        "consent": {
            "allow_redisplay": pm.allow_redisplay,
            "collected_at": unix(pm.consent_collected_at),
        },
        "created": unix(pm.created_at),
        "customer": pm.customer.public_id if pm.customer_id else None,
        "is_default": pm.is_default,
        "livemode": pm.livemode,
        "metadata": pm.metadata or {},
        "nickname": pm.nickname or None,
        "verification": _verification(pm),
    }
    if pm.type == PaymentMethod.Type.CARD:
        body["card"] = {
            "brand": pm.card_brand,
            "checks": {
                "cvc_check": detail.get("cvc_check"),
                "address_line1_check": detail.get("address_line1_check"),
                "address_postal_code_check": detail.get("address_postal_code_check"),
            },
            "country": pm.card_country or None,
            "display_brand": pm.card_brand,
            "exp_month": pm.card_exp_month,
            "exp_year": pm.card_exp_year,
            "fingerprint": pm.fingerprint,
            "funding": pm.card_funding,
            "last4": pm.card_last4,
            "wallet": None,
        }
    elif pm.type == PaymentMethod.Type.SEPA_DEBIT:
        body["sepa_debit"] = {
            "bank_code": pm.bank_code or None,
            "country": pm.bank_country,
            "fingerprint": pm.fingerprint,
            "last4": pm.bank_last4,
        }
    elif pm.type == PaymentMethod.Type.US_BANK_ACCOUNT:
        body["us_bank_account"] = {
            "account_holder_type": pm.bank_account_holder_type,
            "account_type": pm.bank_account_type,
            "fingerprint": pm.fingerprint,
            "last4": pm.bank_last4,
            "routing_number": pm.bank_routing_number,
        }
    else:
        wallet: dict = {"type": pm.type, "fingerprint": pm.fingerprint}
        if pm.card_brand:
            wallet["card_brand"] = pm.card_brand
            wallet["dynamic_last4"] = pm.card_last4 or None
        if pm.type == PaymentMethod.Type.PAYPAL:
            wallet["payer_email"] = pm.wallet_payer_email or None
        body[pm.type] = wallet
    return body


def payment_method_deleted_dict(pm: PaymentMethod) -> dict:
    return {"id": pm.public_id, "object": "payment_method", "deleted": True}


def token_to_dict(token: Token) -> dict:
    return {
        "id": token.public_id,
        "object": "token",
        "card": {
            "brand": token.card_brand,
            "country": token.card_country or None,
            "exp_month": token.card_exp_month,
            "exp_year": token.card_exp_year,
            "fingerprint": token.fingerprint,
            "funding": token.card_funding,
            "last4": token.card_last4,
            "billing_details": billing_details_to_dict(token.billing_details),
            "tokenization_method": token.tokenization_method or None,
        },
        "client_ip": token.client_ip,
        "created": unix(token.created_at),
        "expires_at": unix(token.expires_at),
        "livemode": token.livemode,
        "type": "card",
        "used": token.used_at is not None,
    }
