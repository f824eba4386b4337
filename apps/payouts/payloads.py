"""The public shapes of bank accounts, payouts and payout schedules, for the API, webhook events and
services (plain dicts, no queries per row beyond select_related)."""

from datetime import UTC, datetime, time

from apps.core.payloads import unix

from .models import BankAccount, Payout, PayoutSchedule


def _date_unix(value) -> int | None:
    return int(datetime.combine(value, time.min, tzinfo=UTC).timestamp()) if value else None


def bank_account_payload(account: BankAccount) -> dict:
    return {
        "id": account.public_id,
        "object": "bank_account",
        "account_holder_name": account.account_holder_name or None,
        "account_holder_type": account.account_holder_type,
        "bank_name": account.bank_name or None,
        "country": account.country,
        "currency": account.currency.lower(),
        "default_for_currency": account.default_for_currency,
        "fingerprint": account.fingerprint,
        "last4": account.last4,
        "routing_number": account.routing_number or None,
        "type": account.kind,
        "status": account.status,
        "metadata": account.metadata or {},
        "created": unix(account.created_at),
        "livemode": account.livemode,
    }


def payout_payload(payout: Payout) -> dict:
    return {
        "id": payout.public_id,
        "object": "payout",
        "amount": payout.amount,
        "currency": payout.currency.lower(),
        "status": payout.status,
        "arrival_date": _date_unix(payout.arrival_date),
        "automatic": payout.automatic,
        "balance_transaction": payout.balance_transaction_id or None,
        "destination": payout.destination.public_id if payout.destination_id else None,
        "description": payout.description or None,
        "failure_code": payout.failure_code or None,
        "failure_message": payout.failure_message or None,
        "method": payout.method,
        "statement_descriptor": payout.statement_descriptor or None,
        "metadata": payout.metadata or {},
        "approval": {
            "status": payout.approval,
            "approval_request": payout.approval_request_id or None,
        },
        "created": unix(payout.created_at),
        "livemode": payout.livemode,
    }


def payout_schedule_payload(schedule: PayoutSchedule) -> dict:
    return {
        "object": "payout_schedule",
        "interval": schedule.interval,
        "weekly_anchor": schedule.weekly_anchor,
        "monthly_anchor": schedule.monthly_anchor,
        "minimum_amount": schedule.minimum_amount,
        "minimum_amounts": {
            code.lower(): amount for code, amount in (schedule.minimum_amounts or {}).items()
        },
        "last_run_on": _date_unix(schedule.last_run_on),
    }
