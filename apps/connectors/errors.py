"""Errors of connector selection and management."""

from apps.core.errors import InvalidRequestError


class NoConnectorAvailable(InvalidRequestError):
    code = "no_connector_available"
    message = "No live-mode connector is configured for this account."
