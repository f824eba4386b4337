"""Report types (Stripe's `report_types`): versioned ids such as `balance.summary.1`, each with
its columns, its data source and the interval field it filters on.

A type is a registry entry (`base.register`); the built-in families are one module each:
`payments` (payments, attempts, refunds, disputes), `balance` (balance transactions, fees,
payouts, payout reconciliation, balance summary), `settlement` (the daily settlement report)
and `reconciliation` (settlement lines with their match, and discrepancies — read from
apps.reconciliation, which sits below reporting). A type's source yields tuples in the order of
its `fields`; columns name those fields and convert them (amounts stay integers in minor units
and gain a `<name>_decimal` string column). Rows come in a stable order (interval field, then
id), so the same parameters over closed data give the same bytes.
"""

from . import balance, payments, reconciliation, settlement  # noqa: F401 (each registers its types)
from .base import (
    _REGISTRY,
    CHUNK,
    Column,
    Context,
    ReportType,
    exponent_of,
    itemized,
    moment,
    money,
    register,
    report_type_get,
    report_types,
    text,
)

__all__ = [
    "CHUNK",
    "_REGISTRY",
    "Column",
    "Context",
    "ReportType",
    "exponent_of",
    "itemized",
    "moment",
    "money",
    "register",
    "report_type_get",
    "report_types",
    "text",
]
