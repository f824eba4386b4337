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
from dataclasses import dataclass
from datetime import date, timedelta

FAILING_SUFFIXES = {
    "111116": ("no_account", "The bank account details on file are probably incorrect: no such account."),
    "111113": ("account_closed", "The bank account has been closed."),
}


@dataclass(frozen=True)
class Submitted:
    reference: str
    arrival_date: date


@dataclass(frozen=True)
class Outcome:
    paid: bool
    failure_code: str = ""
    failure_message: str = ""


class SandboxBank:
    code = "sandbox_bank"

    def submit(
        self, *, idempotency_key: str, amount: int, currency: str, account_number: str, today: date
    ) -> Submitted:
        reference = "sbk_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        return Submitted(reference=reference, arrival_date=today + timedelta(days=1))

    def outcome(self, *, reference: str, account_number: str) -> Outcome:
        for suffix, (code, message) in FAILING_SUFFIXES.items():
            if account_number.endswith(suffix):
                return Outcome(paid=False, failure_code=code, failure_message=message)
        return Outcome(paid=True)


def get_bank() -> SandboxBank:
    return SandboxBank()
