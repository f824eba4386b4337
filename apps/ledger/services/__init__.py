"""Every money movement of Clearhouse, as balanced journal entries, and the ledger's
configuration writes. Services take primitive arguments (merchant, mode, amounts, currencies,
source ids) so that intents, refunds, payouts, tests and benchmarks all drive the same code;
`payments` adapts the intents' and refunds' own objects. Reads live in `apps.ledger.selectors`."""

from .adjustments import ledger_adjustment_post as ledger_adjustment_post
from .adjustments import ledger_adjustment_request as ledger_adjustment_request
from .captures import CaptureResult as CaptureResult
from .captures import CaptureRows as CaptureRows
from .captures import capture_settlement_currency as capture_settlement_currency
from .captures import ledger_post_capture as ledger_post_capture
from .clearing import ledger_post_clearing_difference as ledger_post_clearing_difference
from .disputes import ledger_post_dispute_debit as ledger_post_dispute_debit
from .disputes import ledger_post_dispute_reversal as ledger_post_dispute_reversal
from .fees import fee_schedule_save as fee_schedule_save
from .fx import exchange_rate_record as exchange_rate_record
from .fx import exchange_rate_save as exchange_rate_save
from .fx import exchange_rates_import_csv as exchange_rates_import_csv
from .fx import exchange_rates_refresh as exchange_rates_refresh
from .payments import ledger_capture_prepare as ledger_capture_prepare
from .payments import ledger_record_capture as ledger_record_capture
from .payments import ledger_record_refund as ledger_record_refund
from .payouts import ledger_payout_debit as ledger_payout_debit
from .payouts import ledger_payout_paid as ledger_payout_paid
from .payouts import ledger_payout_return as ledger_payout_return
from .refunds import ledger_post_refund as ledger_post_refund
from .settlement import ledger_settle_all_due as ledger_settle_all_due
from .settlement import ledger_settle_due as ledger_settle_due
from .snapshots import ledger_snapshots_refresh as ledger_snapshots_refresh
