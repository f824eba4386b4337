"""File parsers: each turns a file's bytes into rows for ingest, or a per-row error report.

Acquirer formats share one CSV engine (``csvfiles.py``) driven by a layout: the built-in layouts
(sandbox, Stripe, Adyen) and the generic one a finance user saves as a ``ColumnMapping``. Bank
statements: ISO 20022 camt.053 (lxml) and SWIFT MT940 (the maintained ``mt-940`` package).
"""

from .base import AcquirerRow, BankRow, ParsedFile, RowError
from .registry import parse_file, preview

__all__ = ["AcquirerRow", "BankRow", "ParsedFile", "RowError", "parse_file", "preview"]
