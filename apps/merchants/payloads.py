"""The public shapes of a merchant account, its settings and its API keys."""

from apps.core.payloads import unix

from .models import ApiKey, Merchant, MerchantSettings


def merchant_payload(merchant: Merchant) -> dict:
    return {
        "id": merchant.public_id,
        "object": "account",
        "name": merchant.name,
        "country": merchant.country,
        "default_currency": merchant.default_currency.lower(),
        "settlement_currency": merchant.settlement_currency.lower(),
        "status": merchant.status,
        "created": unix(merchant.created_at),
    }


def merchant_settings_payload(settings: MerchantSettings) -> dict:
    return {
        "object": "settings",
        "allowed_payment_method_types": settings.allowed_payment_method_types,
        "default_capture_method": settings.default_capture_method,
        "max_authorization_amount": settings.max_authorization_amount,
        "three_ds_policy": settings.three_ds_policy,
        "dispute_retention_days": settings.dispute_retention_days,
        "refund_approval_threshold": settings.refund_approval_threshold,
        "payout_approval_threshold": settings.payout_approval_threshold,
        "refund_approval_thresholds": _per_currency(settings.refund_approval_thresholds),
        "payout_approval_thresholds": _per_currency(settings.payout_approval_thresholds),
        "settlement_delay_days": settings.settlement_delay_days,
        "require_redisplay_consent": settings.require_redisplay_consent,
        "version": settings.version,
        "updated": unix(settings.updated_at),
    }


def _per_currency(amounts: dict | None) -> dict:
    return {code.lower(): amount for code, amount in sorted((amounts or {}).items())}


def api_key_payload(key: ApiKey, plaintext: str | None = None) -> dict:
    data = {
        "id": key.public_id,
        "object": "api_key",
        "type": key.kind,
        "livemode": key.livemode,
        "name": key.name,
        "redacted_key": f"{key.display_prefix}{'*' * 8}",
        "scopes": key.scopes,
        "created": unix(key.created_at),
        "expires_at": unix(key.expires_at),
        "last_used_at": unix(key.last_used_at),
        "revoked": key.revoked_at is not None,
        "revoked_at": unix(key.revoked_at),
    }
    if plaintext:
        data["secret"] = plaintext  # shown once, on creation
    return data
