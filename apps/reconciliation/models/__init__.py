"""Settlement sync and three-way reconciliation: ledger movement ↔ acquirer settlement line ↔ bank
credit.

The acquirer settles the platform's account (Clearhouse is the payment facilitator: connector
clearing accounts in the ledger are per connector and currency, not per merchant), so files,
batches and bank lines are platform-level; every ledger item and every discrepancy that can be
attributed carries its merchant, which is how finance filters the queue.

Nothing here is deleted by a resolution: a discrepancy is resolved with a resolution and a note
(audited), and the rows it is about stay in automatic matching unless the resolution says
otherwise in its own words (``Discrepancy.RESOLUTION_EFFECTS``).
"""

from .configuration import AccountingPeriod, AcquirerFeeRule, ColumnMapping, GLAccountMapping, Tolerance
from .files import BankLine, SettlementBatch, SettlementFile, SettlementLine
from .runs import Discrepancy, LedgerItem, ReconciliationRun, SettlementSync

__all__ = [
    "AccountingPeriod",
    "AcquirerFeeRule",
    "BankLine",
    "ColumnMapping",
    "Discrepancy",
    "GLAccountMapping",
    "LedgerItem",
    "ReconciliationRun",
    "SettlementBatch",
    "SettlementFile",
    "SettlementLine",
    "SettlementSync",
    "Tolerance",
]
