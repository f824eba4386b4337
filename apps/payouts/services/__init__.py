"""Bank accounts, payouts and payout schedules. Every payout moves money only through the ledger
(apps.ledger.services.ledger_payout_*). Reads live in `apps.payouts.selectors`."""

from .bank import payout_settle as payout_settle
from .bank import payout_submit as payout_submit
from .bank import payouts_settle_due as payouts_settle_due
from .bank import payouts_submit_due as payouts_submit_due
from .bank_accounts import bank_account_create as bank_account_create
from .bank_accounts import bank_account_delete as bank_account_delete
from .bank_accounts import bank_account_number as bank_account_number
from .bank_accounts import bank_account_update as bank_account_update
from .inbound import payout_apply_inbound_event as payout_apply_inbound_event
from .lifecycle import payout_approve as payout_approve
from .lifecycle import payout_cancel as payout_cancel
from .lifecycle import payout_create as payout_create
from .lifecycle import payout_mark_failed as payout_mark_failed
from .lifecycle import payout_reject as payout_reject
from .schedules import payout_schedule_get as payout_schedule_get
from .schedules import payout_schedule_is_due as payout_schedule_is_due
from .schedules import payout_schedule_update as payout_schedule_update
from .schedules import payouts_run_scheduled as payouts_run_scheduled
