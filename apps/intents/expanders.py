"""Payment intents and charges for `expand[]` (apps.core.expand), registered in IntentsConfig.ready()."""

from apps.core.errors import NotFoundError

from . import selectors
from .payloads import charge_to_dict, payment_intent_to_dict


def payment_intent_expand(*, merchant, livemode: bool, id: str) -> dict | None:
    try:
        return payment_intent_to_dict(
            selectors.payment_intent_get(merchant=merchant, livemode=livemode, id=id)
        )
    except NotFoundError:
        return None


def charge_expand(*, merchant, livemode: bool, id: str) -> dict | None:
    try:
        return charge_to_dict(selectors.charge_get(merchant=merchant, livemode=livemode, id=id))
    except NotFoundError:
        return None


def register() -> None:
    from apps.core.expand import register_expander

    register_expander("pi", payment_intent_expand, resource="payment_intents")
    register_expander("ch", charge_expand, resource="charges")
