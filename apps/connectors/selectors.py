from apps.core.selectors import tenant_get

from .errors import NoConnectorAvailable
from .models import Connector


def connector_get(*, merchant, livemode: bool, id: str) -> Connector:
    return tenant_get(Connector.objects, merchant=merchant, livemode=livemode, id=id, resource="connector")


def connector_for_payment(*, merchant, livemode: bool) -> Connector:
    """The connector a new attempt goes to. Test mode always reaches the sandbox (ensured on first
    use); live mode needs an active default connector."""
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
