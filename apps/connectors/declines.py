"""The per-provider decline table: for each decline or error code of a provider, whether the
attempt may move to another connector (``retry_elsewhere``), must stop (``do_not_retry``: the
card or the shopper is the problem, another acquirer would only add a second decline or help a
fraudster), or needs the customer to authenticate (``soft_decline_needs_3ds``).

A code no table names is ``do_not_retry``: failing over is the exception that must be earned.

A real provider's table is its adapter's ``decline_table`` (``apps/connectors/adapters/<code>/``),
merged over ``COMMON``; ``PROVIDERS`` holds the tables of adapters without a package (the sandbox).
An adapter maps the provider's answer to a ``Declined`` whose ``decline_code`` (Stripe's vocabulary
where one fits: ``insufficient_funds``, ``do_not_honor``…) and ``code`` are what ``classify`` reads.
"""

from __future__ import annotations

RETRY_ELSEWHERE = "retry_elsewhere"
DO_NOT_RETRY = "do_not_retry"
NEEDS_3DS = "soft_decline_needs_3ds"

# Codes whose meaning is the same at every acquirer (network response semantics).
COMMON: dict[str, str] = {
    # the acquirer or issuer path failed, not the card
    "processing_error": RETRY_ELSEWHERE,
    "issuer_not_available": RETRY_ELSEWHERE,
    "try_again_later": RETRY_ELSEWHERE,
    "reenter_transaction": RETRY_ELSEWHERE,
    "do_not_honor": RETRY_ELSEWHERE,
    "generic_decline": RETRY_ELSEWHERE,
    "card_not_supported": RETRY_ELSEWHERE,
    "currency_not_supported": RETRY_ELSEWHERE,
    "provider_error": RETRY_ELSEWHERE,
    "provider_unavailable": RETRY_ELSEWHERE,
    "rate_limited": RETRY_ELSEWHERE,
    "not_received": RETRY_ELSEWHERE,
    # the card or the shopper is the problem
    "stolen_card": DO_NOT_RETRY,
    "lost_card": DO_NOT_RETRY,
    "pickup_card": DO_NOT_RETRY,
    "fraudulent": DO_NOT_RETRY,
    "merchant_blacklist": DO_NOT_RETRY,
    "restricted_card": DO_NOT_RETRY,
    "security_violation": DO_NOT_RETRY,
    "incorrect_number": DO_NOT_RETRY,
    "incorrect_cvc": DO_NOT_RETRY,
    "invalid_cvc": DO_NOT_RETRY,
    "expired_card": DO_NOT_RETRY,
    "insufficient_funds": DO_NOT_RETRY,
    "card_velocity_exceeded": DO_NOT_RETRY,
    "invalid_account": DO_NOT_RETRY,
    "payment_intent_authentication_failure": DO_NOT_RETRY,
    "authentication_failed": DO_NOT_RETRY,
    # the provider cannot do the operation at all (base.not_supported): another one could
    "operation_not_supported": RETRY_ELSEWHERE,
    # an amount this provider's unit cannot carry (apps.connectors.money): another one may
    "invalid_amount": RETRY_ELSEWHERE,
    # the issuer wants Strong Customer Authentication
    "authentication_required": NEEDS_3DS,
}

PROVIDERS: dict[str, dict[str, str]] = {
    # The sandbox acquirer's own vocabulary (apps/connectors/sandbox/cards.py).
    "sandbox": {
        "sandbox_unavailable": RETRY_ELSEWHERE,
    },
}


def _provider_table(provider: str) -> dict[str, str]:
    from .registry import adapter_class

    try:
        own = dict(adapter_class(provider).decline_table)
    except LookupError:
        own = {}
    return {**PROVIDERS.get(provider, {}), **{k.lower(): v for k, v in own.items()}}


def classify(provider: str, *codes: str) -> str:
    """The verdict for the first of ``codes`` (decline code first, then the error code) the
    provider's table or the common table knows; ``do_not_retry`` when none is known."""
    table = _provider_table(provider)
    for code in codes:
        key = (code or "").lower()
        if not key:
            continue
        if key in table:
            return table[key]
        if key in COMMON:
            return COMMON[key]
    return DO_NOT_RETRY


def table_for(provider: str) -> dict[str, str]:
    """The effective table of a provider (common codes overridden by its own)."""
    return {**COMMON, **_provider_table(provider)}
