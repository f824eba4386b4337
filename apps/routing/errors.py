"""Errors of routing rule sets and routing decisions."""

from apps.core.errors import InvalidRequestError, StateConflictError


class RuleSetInvalid(InvalidRequestError):
    code = "routing_rule_set_invalid"
    message = "{detail}"
    stored = False


class RuleSetVersionMissing(InvalidRequestError):
    code = "routing_rule_set_version_missing"
    param = "version"
    message = "Rule set {rule_set} has no version {version}."
    stored = False


class RuleSetNotActive(StateConflictError):
    code = "routing_rule_set_not_active"
    message = "Rule set {rule_set} is not active."


class PinnedConnectorIneligible(InvalidRequestError):
    code = "routing_connector_ineligible"
    param = "routing[connector]"
    message = "Connector {connector} cannot take this payment: {reason}."


class NoEligibleConnector(InvalidRequestError):
    code = "no_connector_available"
    message = "No connector can take this payment ({detail})."
