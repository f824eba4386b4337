"""The errors of events, webhook endpoints and inbound gateway callbacks."""

from apps.core.errors import ApiError, InvalidRequestError, StateConflictError


class WebhookUrlRefused(InvalidRequestError):
    """A URL the SSRF guard refuses; raised when the URL is saved and checked again before a send."""

    code = "url_invalid"
    param = "url"
    message = "The URL is not allowed."


class WebhookUrlInvalid(WebhookUrlRefused):
    code = "url_invalid"


class WebhookUrlUnresolvable(WebhookUrlRefused):
    code = "url_unresolvable"
    message = "The host {host!r} does not resolve."


class WebhookUrlNotAllowed(WebhookUrlRefused):
    code = "url_not_allowed"
    message = "Webhook URLs must not resolve to private, loopback or link-local addresses."


class WebhookEventTypeInvalid(InvalidRequestError):
    code = "parameter_invalid"
    message = (
        "Invalid event type: {pattern!r}. Use '*', an exact type such as payment_intent.succeeded "
        "or a prefix such as payment_intent.*."
    )


class WebhookEventTypeUnknown(WebhookEventTypeInvalid):
    message = "Unknown event type: {pattern!r}: Clearhouse never sends it.{hint}"


class EventTypeFilterInvalid(InvalidRequestError):
    code = "parameter_invalid"
    param = "type"
    message = "Invalid event type filter: {pattern!r}. Use an exact type or a prefix like payment_intent.*."


class WebhookApiVersionUnknown(InvalidRequestError):
    code = "parameter_invalid"
    param = "api_version"
    message = "Unknown api_version {api_version!r}; the current version is {current}."


class WebhookEndpointDisabled(StateConflictError):
    code = "webhook_endpoint_disabled"
    message = "This webhook endpoint is disabled; enable it before sending a test event."


# --- inbound gateway callbacks ----------------------------------------------------------------


class InboundWebhookRejected(InvalidRequestError):
    """A callback the connector's adapter could not verify or understand (stored as rejected).
    The code is the adapter's reason prefixed with ``webhook_``."""

    code = "webhook_invalid_payload"
    message = "The payload could not be understood."


class InboundWebhookSignatureMissing(InboundWebhookRejected):
    code = "webhook_signature_missing"


class InboundWebhookSignatureInvalid(InboundWebhookRejected):
    code = "webhook_signature_invalid"


class InboundWebhookSignatureExpired(InboundWebhookRejected):
    code = "webhook_signature_expired"


class InboundWebhookInvalidPayload(InboundWebhookRejected):
    code = "webhook_invalid_payload"


class InboundWebhookLivemodeMismatch(InboundWebhookRejected):
    code = "webhook_livemode_mismatch"
    message = "The event's mode does not match the connector."


class InboundWebhookInProgress(StateConflictError):
    status = 409
    code = "webhook_in_progress"
    message = "This provider event is being processed right now; retry later."


class InboundWebhookProcessingFailed(ApiError):
    code = "webhook_processing_failed"
    message = "The event was stored but could not be applied; it will be applied when the provider retries."


INBOUND_REJECTIONS: dict[str, type[InboundWebhookRejected]] = {
    cls.code.removeprefix("webhook_"): cls
    for cls in (
        InboundWebhookSignatureMissing,
        InboundWebhookSignatureInvalid,
        InboundWebhookSignatureExpired,
        InboundWebhookInvalidPayload,
    )
}
