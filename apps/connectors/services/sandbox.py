"""The implicit sandbox account every merchant has in test mode."""

from django.db import IntegrityError, transaction

from ..models import Connector

# merchant pk → its sandbox connector. The sandbox row never changes once created (test mode only),
# so a per-process memo saves a query on every test-mode payment.
_SANDBOX_MEMO: dict[int, Connector] = {}
_SANDBOX_MEMO_MAX = 10_000


def connector_ensure_sandbox(*, merchant) -> Connector:
    """The merchant's test-mode sandbox connector, created on first use."""
    memo = _SANDBOX_MEMO.get(merchant.pk)
    if memo is not None:
        return memo
    connector = _sandbox_row(merchant)
    if len(_SANDBOX_MEMO) >= _SANDBOX_MEMO_MAX:
        _SANDBOX_MEMO.clear()
    _SANDBOX_MEMO[merchant.pk] = connector
    return connector


def _sandbox_row(merchant) -> Connector:
    connector = Connector.objects.filter(
        merchant=merchant, livemode=False, code="sandbox", is_default=True
    ).first()
    if connector is not None:
        return connector
    try:
        with transaction.atomic():
            return Connector.objects.create(
                merchant=merchant, livemode=False, code="sandbox", name="Sandbox acquirer", is_default=True
            )
    except IntegrityError:
        return Connector.objects.get(merchant=merchant, livemode=False, code="sandbox", is_default=True)
