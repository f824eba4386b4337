"""The vault's objects for `expand[]` (apps.core.expand), registered in VaultConfig.ready()."""

from apps.core.errors import NotFoundError

from . import selectors
from .payloads import customer_to_dict, payment_method_to_dict


def customer_expand(*, merchant, livemode: bool, id: str) -> dict | None:
    try:
        return customer_to_dict(selectors.customer_get(merchant=merchant, livemode=livemode, id=id))
    except NotFoundError:
        return None


def payment_method_expand(*, merchant, livemode: bool, id: str) -> dict | None:
    try:
        return payment_method_to_dict(
            selectors.payment_method_get(merchant=merchant, livemode=livemode, id=id)
        )
    except NotFoundError:
        return None


def register() -> None:
    from apps.core.expand import register_expander

    register_expander("cus", customer_expand, resource="customers")
    register_expander("pm", payment_method_expand, resource="payment_methods")
