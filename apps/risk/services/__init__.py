"""Every write of risk, one module per family (engine, rule sets, value lists, reviews,
overrides, after-payment effects, backtests, labels)."""

from .engine import evaluate as evaluate
from .engine import risk_pre_authorization as risk_pre_authorization
from .overrides import override_create as override_create
from .payments import card_testing_block_lift as card_testing_block_lift
from .payments import risk_after_authorization as risk_after_authorization
from .reviews import review_approve as review_approve
from .reviews import review_cancel as review_cancel
from .reviews import review_capture_guard as review_capture_guard
from .reviews import review_refund_as_fraud as review_refund_as_fraud
from .rulesets import rule_create as rule_create
from .rulesets import rule_set_activate as rule_set_activate
from .rulesets import rule_set_version_create as rule_set_version_create
from .rulesets import rule_update as rule_update
