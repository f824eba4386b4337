"""Errors of connector selection and management (template fields never shadow an error's own
keyword arguments: a provider type fills ``{provider}``)."""

from apps.core.errors import ApiError, InvalidRequestError, RateLimitError, StateConflictError


class NoConnectorAvailable(InvalidRequestError):
    code = "no_connector_available"
    message = "No live-mode connector is configured for this account."


class ConnectorTypeUnknown(InvalidRequestError):
    code = "connector_type_unknown"
    param = "type"
    message = "No provider type named {provider}. GET /v1/providers lists the supported types."
    stored = False


class ConnectorTypeNotInMode(InvalidRequestError):
    code = "connector_type_not_available_in_mode"
    param = "type"
    message = "Provider {provider} accounts cannot be created in {mode} mode."
    stored = False


class ConnectorCapabilitiesInvalid(InvalidRequestError):
    code = "connector_capabilities_invalid"
    param = "capabilities"
    message = "{detail}"
    stored = False


class ConnectorCredentialsInvalid(InvalidRequestError):
    code = "connector_credentials_invalid"
    param = "credentials"
    message = "{detail}"
    stored = False


class ConnectorConfigInvalid(InvalidRequestError):
    code = "connector_config_invalid"
    param = "config"
    message = "{detail}"
    stored = False


class ConnectorNoRotation(StateConflictError):
    code = "connector_no_rotation_in_progress"
    message = "This connector has no previous credentials to cut over from."


class ConnectorTestRateLimited(RateLimitError):
    code = "connector_test_rate_limited"
    message = "This connector was tested {limit} times in the last minute; try again shortly."


class ConnectorOperationNotSupported(InvalidRequestError):
    code = "connector_operation_not_supported"
    message = "{detail}"
    stored = False


class ConnectorProviderUnavailable(ApiError):
    status = 502
    code = "connector_provider_unavailable"
    message = "The provider could not be reached ({detail}); try again later."
    stored = False
