"""Refunds for `expand[]` (apps.core.expand), registered in RefundsConfig.ready()."""

from apps.core.errors import NotFoundError

from . import selectors
from .payloads import refund_to_dict


def refund_expand(*, merchant, livemode: bool, id: str) -> dict | None:
    try:
        return refund_to_dict(selectors.refund_get(merchant=merchant, livemode=livemode, id=id))
    except NotFoundError:
        return None


def register() -> None:
    from apps.core.expand import register_expander

    register_expander("re", refund_expand, resource="refunds")
