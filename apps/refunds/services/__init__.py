"""Every write to refunds. Same discipline as intents: lock (intent, then charge, then refund),
check, commit; call the provider outside any transaction; lock again and record.

The sum of non-failed, non-canceled refunds of a charge never exceeds its captured amount: the
check runs under the intent and charge row locks, so concurrent refunds serialize on it.
"""

from .common import OPEN, _charge_event, _event, _lock_all, _resolve_refund_id, refundable_amount
from .create import _approval_open, _refund_target, _submit, refund_create
from .decisions import _decide, _mark_canceled, refund_approve, refund_cancel, refund_reject, refund_update
from .janitor import _refunds_escalate, refund_apply_inbound_event, refunds_recheck
from .outcomes import refund_record_result

__all__ = [
    "OPEN",
    "_approval_open",
    "_charge_event",
    "_decide",
    "_event",
    "_lock_all",
    "_mark_canceled",
    "_refund_target",
    "_refunds_escalate",
    "_resolve_refund_id",
    "_submit",
    "refund_apply_inbound_event",
    "refund_approve",
    "refund_cancel",
    "refund_create",
    "refund_record_result",
    "refund_reject",
    "refund_update",
    "refundable_amount",
    "refunds_recheck",
]
