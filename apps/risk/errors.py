"""The errors of risk (codes, HTTP status and message as clients see them)."""

from apps.core.errors import InvalidRequestError, StateConflictError


class ReviewNotOpen(StateConflictError):
    code = "review_not_open"
    message = "This review is already closed ({closed})."


class PaymentUnderReview(StateConflictError):
    code = "payment_under_review"
    message = "This payment is under review ({review}); it can be captured once the review is approved."


class ValueListInUse(StateConflictError):
    code = "value_list_in_use"
    message = "The value list @{alias} is used by the active rules ({rules}); change those rules first."


class ValueListUnknown(InvalidRequestError):
    code = "value_list_unknown"
    param = "predicate"
    stored = False
    message = "The rule uses @{alias}, which is not one of your value lists."


class ValueListAliasTaken(InvalidRequestError):
    code = "value_list_alias_taken"
    param = "alias"
    message = "A value list with the alias {alias} already exists."


class ValueListItemInvalid(InvalidRequestError):
    code = "value_list_item_invalid"
    param = "value"
    stored = False
    message = "{detail}"


class RuleActionInvalid(InvalidRequestError):
    code = "rule_action_invalid"
    param = "action"
    stored = False
    message = "The action must be one of request_3ds, allow, block, review."


class RuleSetNotDraft(StateConflictError):
    code = "rule_set_not_draft"
    message = "Version {version} is already active."


class OverrideNotPending(StateConflictError):
    code = "override_not_pending"
    message = "This override is {override_status}, not waiting for approval."
