from django.conf import settings

from apps.core.context import get_request_id

from .models import Event


def event_record(
    *, merchant, livemode: bool, type: str, data: dict, previous_attributes: dict | None = None
) -> Event:
    """Writes the outbox row. Call inside the transaction of the state change it describes."""
    return Event.objects.create(
        merchant=merchant,
        livemode=livemode,
        type=type,
        api_version=settings.API_VERSION,
        data={"object": data},
        previous_attributes=previous_attributes,
        request_id=get_request_id(),
    )
