"""Every write to payment intents and charges, one module per action family.

The provider is never called while a row lock or a transaction is held:

1. lock the intent, check the transition, mark the attempt ``submitting`` (or the charge's
   ``pending_operation``), write the audit entry, commit;
2. call the provider with our idempotency key (the charge id), outside any transaction;
3. lock again and record the result (state, audit, ledger, outbox events in one transaction).

A crash or timeout between 1 and 3 leaves the attempt ``submitting``/``unknown``; the re-check
janitor (``payment_intents_recheck``) asks the provider what happened and records it.
"""

from .capture import CANCELLABLE as CANCELLABLE
from .capture import charge_record_operation as charge_record_operation
from .capture import payment_intent_cancel as payment_intent_cancel
from .capture import payment_intent_capture as payment_intent_capture
from .common import CARD_LIKE_TYPES as CARD_LIKE_TYPES
from .common import REDIRECT_PAYMENT_METHOD_TYPES as REDIRECT_PAYMENT_METHOD_TYPES
from .confirm import payment_intent_confirm as payment_intent_confirm
from .create import payment_intent_create as payment_intent_create
from .create import payment_intent_update as payment_intent_update
from .inbound import charge_apply_inbound_event as charge_apply_inbound_event
from .janitor import payment_intents_expire_authorizations as payment_intents_expire_authorizations
from .janitor import payment_intents_recheck as payment_intents_recheck
from .janitor import recheck_escalate as recheck_escalate
from .next_action import payment_intent_complete_action as payment_intent_complete_action
from .outcomes import charge_record_authorization as charge_record_authorization
from .payment_methods import payment_method_from_token_params as payment_method_from_token_params
from .payment_methods import validate_intent_amount as validate_intent_amount
from .payment_methods import validate_split as validate_split
