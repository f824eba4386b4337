from __future__ import annotations

from django.db.models import QuerySet

from apps.core.selectors import tenant_get

from .capabilities import PaymentShape, exclusion_reason, narrow
from .errors import NoConnectorAvailable
from .models import Connector
from .registry import adapter_class


def connector_get(*, merchant, livemode: bool, id: str) -> Connector:
    return tenant_get(Connector.objects, merchant=merchant, livemode=livemode, id=id, resource="connector")


def connector_list(*, merchant, livemode: bool, status: str | None = None) -> QuerySet[Connector]:
    qs = Connector.objects.filter(merchant=merchant, livemode=livemode)
    if status:
        qs = qs.filter(status=status)
    return qs


def connector_capabilities(connector: Connector) -> dict:
    """The account's effective capability matrix: its adapter's, narrowed by the account."""
    try:
        declared = adapter_class(connector.code).capabilities
    except LookupError:
        return narrow({}, None)
    return narrow(declared, connector.capabilities)


def connector_exclusion(
    connector: Connector, payment: PaymentShape, *, circuit: str = "closed"
) -> str | None:
    """Why this account cannot take the payment (None: it can). Order: disabled, circuit open,
    then the first capability the payment needs and the account lacks."""
    if connector.status != Connector.Status.ACTIVE:
        return "disabled"
    if circuit == "open":
        return "circuit_open"
    try:
        adapter_class(connector.code)
    except LookupError:
        return "provider_unavailable"
    return provider_token_exclusion(connector, payment) or exclusion_reason(
        connector_capabilities(connector), payment
    )


def provider_token_exclusion(connector: Connector, payment: PaymentShape) -> str | None:
    """A card one provider's browser SDK tokenized (a Square ``cnon:``/``ccof:`` id, a Verifone.js
    encrypted card: apps.vault.provider_tokens) holds no number: no other provider can take it, so
    routing never orders (nor fails over to) another provider's account."""
    wanted = payment.card_token_provider
    if wanted and connector.code != wanted:
        return "provider_token_not_usable"
    return None


def connector_discover(*, merchant, livemode: bool, payment: PaymentShape) -> list[Connector]:
    """The merchant's active accounts able to take such a payment (circuit state ignored: this
    answers what is configured, not what is healthy this minute)."""
    return [
        connector
        for connector in connector_list(
            merchant=merchant, livemode=livemode, status=Connector.Status.ACTIVE
        ).order_by("created_at")
        if connector_exclusion(connector, payment) is None
    ]


def connector_for_payment(*, merchant, livemode: bool) -> Connector:
    """The connector a new attempt goes to when nothing routes it. Test mode always reaches the
    sandbox (ensured on first use); live mode needs an active default connector."""
    if not livemode:
        from .services import connector_ensure_sandbox

        return connector_ensure_sandbox(merchant=merchant)
    connector = (
        Connector.objects.filter(
            merchant=merchant, livemode=True, status=Connector.Status.ACTIVE, is_default=True
        )
        .exclude(code="sandbox")
        .first()
    )
    if connector is None:
        raise NoConnectorAvailable()
    return connector


def connector_circuit_summary(*, merchant_id: int | None = None, limit: int = 1000) -> dict:
    """Active connectors by circuit state (the back office dashboard): one query, one cache read."""
    from . import observe

    qs = Connector.objects.filter(status=Connector.Status.ACTIVE)
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    ids = list(qs.order_by("pk").values_list("public_id", flat=True)[:limit])
    states = observe.circuit_states(ids)
    return {
        "active": len(ids),
        "open": [cid for cid in ids if states[cid] == observe.OPEN],
        "half_open": [cid for cid in ids if states[cid] == observe.HALF_OPEN],
    }
