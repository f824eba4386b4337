"""The sandbox bank: deterministic, in-process, idempotent per key (our payout's bank key).

Documented test accounts (any other valid account is paid):
- US routing 110000000, account 000111111116 — the payout fails with `no_account`;
- US routing 110000000, account 000111111113 — the payout fails with `account_closed`;
- IBAN DE49370400440000111116 — fails with `no_account`; DE33370400440000111113 — `account_closed`.
Success examples: US 110000000 / 000123456789, IBAN DE89370400440532013000.

Submission answers at once (the payout goes in transit, arriving the next day); the outcome
(paid or failed) is asked for after `PAYOUTS_SANDBOX_SETTLE_SECONDS` by the settle task.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from apps.connectors.base import PayoutOutcome, PayoutRail, PayoutSubmitted

FAILING_SUFFIXES = {
    "111116": ("no_account", "The bank account details on file are probably incorrect: no such account."),
    "111113": ("account_closed", "The bank account has been closed."),
}


class SandboxBank(PayoutRail):
    code = "sandbox_bank"

    def submit(
        self, *, idempotency_key: str, amount: int, currency: str, account_number: str, today: date
    ) -> PayoutSubmitted:
        reference = "sbk_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        return PayoutSubmitted(reference=reference, arrival_date=today + timedelta(days=1))

    def outcome(self, *, reference: str, account_number: str) -> PayoutOutcome:
        for suffix, (code, message) in FAILING_SUFFIXES.items():
            if account_number.endswith(suffix):
                return PayoutOutcome(paid=False, failure_code=code, failure_message=message)
        return PayoutOutcome(paid=True)
