"""The dispute fee a chargeback withdraws, and whether a won dispute returns it.

The platform default is the DISPUTE_FEES setting (Stripe's 15.00 USD and its like amount in
other settlement currencies, in minor units); a merchant's DisputeSettings row overrides it per
currency, and decides whether a win refunds the fee (DISPUTE_FEE_REFUNDED_ON_WIN otherwise; Stripe
keeps it). A currency in neither has no fee."""

from __future__ import annotations

from django.conf import settings

from .models import DisputeSettings


def _merchant_settings(merchant) -> DisputeSettings | None:
    return DisputeSettings.objects.filter(merchant=merchant).first()


def dispute_fee(merchant, currency: str) -> int:
    currency = currency.upper()
    own = _merchant_settings(merchant)
    if own is not None and currency in (own.fees or {}):
        return int(own.fees[currency])
    return int(getattr(settings, "DISPUTE_FEES", {}).get(currency, 0))


def fee_refunded_on_win(merchant) -> bool:
    own = _merchant_settings(merchant)
    if own is not None and own.fee_refunded_on_win is not None:
        return own.fee_refunded_on_win
    return bool(getattr(settings, "DISPUTE_FEE_REFUNDED_ON_WIN", False))
