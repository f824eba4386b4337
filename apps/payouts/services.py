"""Bank accounts, payouts and payout schedules. Every payout moves money only through the
ledger (apps.ledger.services.ledger_payout_*): creation moves available → in transit under the
merchant's balance lock, failure/cancel/rejection returns the funds, paid settles them."""

from __future__ import annotations

import calendar
import importlib.util
import json
import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.connectors import gateway
from apps.core.currencies import get_currency, validate_amount
from apps.core.errors import InvalidRequestError, NotFoundError, StateConflictError
from apps.core.ids import generate_id
from apps.ledger import services as ledger
from apps.ledger.selectors import ledger_available_balance
from apps.vault import crypto
from apps.vault.banks import validate_account_number, validate_iban, validate_routing_number
from apps.vault.exceptions import BankValidationError
from apps.webhooks.services import event_record

from .models import BankAccount, Payout, PayoutSchedule
from .transitions import assert_transition

logger = logging.getLogger(__name__)

P = Payout.Status
A = Payout.Approval
SUB = Payout.Submission


# ---------------------------------------------------------------------------------------------
# bank accounts
# ---------------------------------------------------------------------------------------------


def _aad(merchant_public_id: str, public_id: str) -> bytes:
    return f"clearhouse.payouts.bank_account.v1|{merchant_public_id}|{public_id}".encode()


def bank_account_number(account: BankAccount) -> str:
    """Decrypts the account number / IBAN (only for the bank call; never logged or shown)."""
    envelope = crypto.Envelope(
        kek_version=account.kek_version,
        wrapped_key=bytes(account.wrapped_key),
        nonce=bytes(account.nonce),
        ciphertext=bytes(account.ciphertext),
    )
    data = json.loads(crypto.decrypt(envelope, aad=_aad(account.merchant.public_id, account.public_id)))
    return data["number"]


def _bank_error(exc: BankValidationError, param: str) -> InvalidRequestError:
    return InvalidRequestError(exc.message, code=exc.code, param=param)


def bank_account_create(
    *,
    merchant,
    livemode: bool,
    currency: str,
    country: str = "",
    account_holder_name: str = "",
    account_holder_type: str = "company",
    iban: str | None = None,
    routing_number: str | None = None,
    account_number: str | None = None,
    default_for_currency: bool = False,
    metadata: dict | None = None,
    actor: Actor,
) -> BankAccount:
    currency = get_currency(currency).code
    if iban and (routing_number or account_number):
        raise InvalidRequestError(
            "Give either iban or routing_number + account_number, not both.",
            code="parameter_invalid",
            param="iban",
        )
    if iban:
        try:
            valid = validate_iban(iban, param="iban", sepa_only=False)
        except BankValidationError as exc:
            raise _bank_error(exc, "iban") from None
        number, kind, routing = valid.iban, BankAccount.Kind.IBAN, ""
        if country and country.upper() != valid.country:
            raise InvalidRequestError(
                f"The IBAN is from {valid.country}, not {country.upper()}.",
                code="parameter_invalid",
                param="country",
            )
        country = valid.country
    elif routing_number or account_number:
        if not routing_number:
            raise InvalidRequestError(
                "routing_number is required.", code="parameter_missing", param="routing_number"
            )
        if not account_number:
            raise InvalidRequestError(
                "account_number is required.", code="parameter_missing", param="account_number"
            )
        try:
            routing = validate_routing_number(routing_number, param="routing_number")
            number = validate_account_number(account_number, param="account_number")
        except BankValidationError as exc:
            raise _bank_error(exc, exc.param or "account_number") from None
        kind = BankAccount.Kind.US
        country = (country or "US").upper()
    else:
        raise InvalidRequestError(
            "Give an iban, or a routing_number and an account_number.", code="parameter_missing", param="iban"
        )
    if account_holder_type not in ("individual", "company"):
        raise InvalidRequestError(
            "account_holder_type must be individual or company.",
            code="parameter_invalid",
            param="account_holder_type",
        )
    public_id = generate_id(BankAccount.ID_PREFIX)
    envelope = crypto.encrypt(
        json.dumps({"number": number}).encode(), aad=_aad(merchant.public_id, public_id)
    )
    with transaction.atomic():
        has_default = BankAccount.objects.filter(
            merchant=merchant, livemode=livemode, currency=currency, default_for_currency=True
        ).exclude(status=BankAccount.Status.DELETED)
        make_default = default_for_currency or not has_default.exists()
        if make_default:
            has_default.select_for_update().update(default_for_currency=False, updated_at=timezone.now())
        account = BankAccount.objects.create(
            public_id=public_id,
            merchant=merchant,
            livemode=livemode,
            kind=kind,
            country=country,
            currency=currency,
            account_holder_name=account_holder_name[:200],
            account_holder_type=account_holder_type,
            routing_number=routing,
            last4=number[-4:],
            fingerprint=crypto.fingerprint(number, merchant_id=merchant.public_id),
            kek_version=envelope.kek_version,
            wrapped_key=envelope.wrapped_key,
            nonce=envelope.nonce,
            ciphertext=envelope.ciphertext,
            default_for_currency=make_default,
            metadata=metadata or {},
        )
        from .serializers import bank_account_to_dict

        data = bank_account_to_dict(account)
        audit_record(actor=actor, action="bank_account.created", merchant=merchant, obj=account, after=data)
        event_record(merchant=merchant, livemode=livemode, type="bank_account.created", data=data)
    return account


def bank_account_get(*, merchant, livemode: bool, id: str, param: str = "id") -> BankAccount:
    account = (
        BankAccount.objects.filter(merchant=merchant, livemode=livemode, public_id=id)
        .exclude(status=BankAccount.Status.DELETED)
        .select_related("merchant")
        .first()
    )
    if account is None:
        raise NotFoundError("bank_account", id, param=param)
    return account


def bank_account_update(*, account: BankAccount, changes: dict, actor: Actor) -> BankAccount:
    from .serializers import bank_account_to_dict

    with transaction.atomic():
        account = BankAccount.objects.select_for_update().select_related("merchant").get(pk=account.pk)
        before = bank_account_to_dict(account)
        if changes.get("default_for_currency") is True and not account.default_for_currency:
            BankAccount.objects.filter(
                merchant=account.merchant,
                livemode=account.livemode,
                currency=account.currency,
                default_for_currency=True,
            ).update(default_for_currency=False, updated_at=timezone.now())
            account.default_for_currency = True
        elif changes.get("default_for_currency") is False and account.default_for_currency:
            raise InvalidRequestError(
                "Make another bank account the default for this currency instead.",
                code="parameter_invalid",
                param="default_for_currency",
            )
        if "account_holder_name" in changes:
            account.account_holder_name = changes["account_holder_name"][:200]
        if "metadata" in changes:
            account.metadata = changes["metadata"]
        account.save()
        after = bank_account_to_dict(account)
        audit_record(
            actor=actor,
            action="bank_account.updated",
            merchant=account.merchant,
            obj=account,
            before=before,
            after=after,
        )
        event_record(
            merchant=account.merchant, livemode=account.livemode, type="bank_account.updated", data=after
        )
    return account


def bank_account_delete(*, account: BankAccount, actor: Actor) -> BankAccount:
    from .serializers import bank_account_to_dict

    with transaction.atomic():
        account = BankAccount.objects.select_for_update().select_related("merchant").get(pk=account.pk)
        if Payout.objects.filter(destination=account, status__in=[P.PENDING, P.IN_TRANSIT]).exists():
            raise StateConflictError(
                "This bank account has payouts on the way.", code="bank_account_in_use", param="id"
            )
        others = (
            BankAccount.objects.filter(
                merchant=account.merchant, livemode=account.livemode, currency=account.currency
            )
            .exclude(pk=account.pk)
            .exclude(status=BankAccount.Status.DELETED)
        )
        if account.default_for_currency and others.exists():
            raise StateConflictError(
                "You cannot delete the default bank account for a currency; make another one the default first.",
                code="bank_account_is_default",
                param="id",
            )
        account.status = BankAccount.Status.DELETED
        account.default_for_currency = False
        account.save(update_fields=["status", "default_for_currency", "updated_at"])
        data = {**bank_account_to_dict(account), "deleted": True}
        audit_record(actor=actor, action="bank_account.deleted", merchant=account.merchant, obj=account)
        event_record(
            merchant=account.merchant, livemode=account.livemode, type="bank_account.deleted", data=data
        )
    return account


# ---------------------------------------------------------------------------------------------
# payouts
# ---------------------------------------------------------------------------------------------


def _to_dict(payout: Payout) -> dict:
    from .serializers import payout_to_dict

    return payout_to_dict(payout)


def _event(payout: Payout, type_: str, previous: dict | None = None) -> None:
    event_record(
        merchant=payout.merchant,
        livemode=payout.livemode,
        type=type_,
        data=_to_dict(payout),
        previous_attributes=previous,
    )


def _lock(payout_id: int) -> Payout:
    return (
        Payout.objects.select_for_update(of=("self",))
        .select_related("merchant", "destination")
        .get(pk=payout_id)
    )


def payout_get(*, merchant, livemode: bool, id: str) -> Payout:
    payout = (
        Payout.objects.filter(merchant=merchant, livemode=livemode, public_id=id)
        .select_related("destination", "merchant")
        .first()
    )
    if payout is None:
        raise NotFoundError("payout", id)
    return payout


def _approvals_available() -> bool:
    return importlib.util.find_spec("apps.approvals.services") is not None


def payout_create(
    *,
    merchant,
    livemode: bool,
    amount: int,
    currency: str,
    actor: Actor,
    destination: str | None = None,
    description: str = "",
    statement_descriptor: str = "",
    metadata: dict | None = None,
    method: str = Payout.Method.STANDARD,
    automatic: bool = False,
) -> Payout:
    """Debits available (never below zero: the ledger's balance lock serializes concurrent
    payouts) and creates the payout `pending`. Above the merchant's payout_approval_threshold it
    waits for a finance approver (approval `required`) before the bank sees it."""
    currency = get_currency(currency).code
    validate_amount(amount, currency)
    if destination:
        bank_account = bank_account_get(
            merchant=merchant, livemode=livemode, id=destination, param="destination"
        )
        if bank_account.currency != currency:
            raise InvalidRequestError(
                f"The destination bank account is in {bank_account.currency.lower()}, not {currency.lower()}.",
                code="payout_currency_mismatch",
                param="currency",
            )
    else:
        bank_account = (
            BankAccount.objects.filter(
                merchant=merchant, livemode=livemode, currency=currency, default_for_currency=True
            )
            .exclude(status=BankAccount.Status.DELETED)
            .first()
        )
        if bank_account is None:
            raise InvalidRequestError(
                f"There is no default bank account for {currency.lower()}; add one or pass destination.",
                code="bank_account_missing",
                param="destination",
            )
    from apps.merchants.selectors import merchant_settings_get

    threshold = merchant_settings_get(merchant).payout_approval_threshold
    needs_approval = threshold is not None and amount > threshold
    with transaction.atomic():
        payout = Payout(
            public_id=generate_id(Payout.ID_PREFIX),
            merchant=merchant,
            livemode=livemode,
            amount=amount,
            currency=currency,
            destination=bank_account,
            method=method,
            automatic=automatic,
            description=description[:500],
            statement_descriptor=statement_descriptor[:22],
            metadata=metadata or {},
            approval=A.REQUIRED if needs_approval else A.NOT_REQUIRED,
            requested_by=actor.label,
        )
        txn = ledger.ledger_payout_debit(
            merchant=merchant,
            livemode=livemode,
            currency=currency,
            amount=amount,
            payout_id=payout.public_id,
            description=description or ("Automatic payout" if automatic else "Payout"),
        )
        payout.balance_transaction_id = txn.public_id
        payout.save()
        if needs_approval and _approvals_available():
            from apps.approvals.services import approval_request_create

            request = approval_request_create(
                kind="payout",
                merchant=merchant,
                livemode=livemode,
                target_type="payouts.payout",
                target_id=payout.public_id,
                amount=amount,
                currency=currency,
                reason=f"Payout of {amount} {currency} above the approval threshold of {threshold}",
                requested_by=actor,
                payload={"payout": payout.public_id},
            )
            payout.approval_request_id = request.public_id
            payout.save(update_fields=["approval_request_id", "updated_at"])
        audit_record(
            actor=actor,
            action="payout.created",
            merchant=merchant,
            obj=payout,
            after={
                "amount": amount,
                "currency": currency,
                "destination": bank_account.public_id,
                "approval": payout.approval,
                "automatic": automatic,
            },
        )
        _event(payout, "payout.created")
    return payout


def payout_cancel(*, payout: Payout, actor: Actor, reason: str = "") -> Payout:
    """Only while pending and not yet handed to the bank; the funds return to available."""
    with transaction.atomic():
        payout = _lock(payout.pk)
        if payout.status != P.PENDING or payout.submission != SUB.NOT_SENT:
            raise StateConflictError(
                f"Only pending payouts not yet sent to the bank can be canceled; this one is {payout.status}.",
                code="payout_not_cancelable",
            )
        _return_funds(payout, P.CANCELED, actor=actor, action="payout.canceled", reason=reason, kind="cancel")
    return payout


def _return_funds(payout: Payout, status: str, *, actor: Actor, action: str, reason: str, kind: str) -> None:
    previous = {"status": payout.status}
    assert_transition(payout.status, status)
    now = timezone.now()
    payout.status = status
    if status == P.CANCELED:
        payout.canceled_at = now
    else:
        payout.failed_at = now
    payout.save()
    ledger.ledger_payout_return(
        merchant=payout.merchant,
        livemode=payout.livemode,
        currency=payout.currency,
        amount=payout.amount,
        payout_id=payout.public_id,
        reason=kind,
    )
    audit_record(
        actor=actor,
        action=action,
        merchant=payout.merchant,
        obj=payout,
        before=previous,
        after={"status": status, "failure_code": payout.failure_code},
        reason=reason,
    )
    _event(payout, "payout.canceled" if status == P.CANCELED else "payout.failed", previous)


def payout_approve(*, payout_id: str, actor: Actor, user=None, reason: str = "") -> Payout:
    """Releases a payout that waited for approval (the approvals executor for kind "payout")."""
    with transaction.atomic():
        payout = _lock(Payout.objects.get(public_id=payout_id).pk)
        if payout.approval != A.REQUIRED or payout.status != P.PENDING:
            raise StateConflictError(
                f"This payout does not wait for approval (status {payout.status}, approval {payout.approval}).",
                code="payout_unexpected_state",
            )
        payout.approval = A.APPROVED
        payout.decided_by = user if user is not None and getattr(user, "pk", None) else None
        payout.save()
        audit_record(
            actor=actor,
            action="payout.approved",
            merchant=payout.merchant,
            obj=payout,
            after={"approval": payout.approval},
            reason=reason,
        )
        _event(payout, "payout.updated", {"approval": A.REQUIRED})
    return payout


def payout_reject(*, payout_id: str, actor: Actor, user=None, reason: str = "") -> Payout:
    """Refuses a payout that waited for approval: canceled, funds back to available."""
    with transaction.atomic():
        payout = _lock(Payout.objects.get(public_id=payout_id).pk)
        if payout.approval != A.REQUIRED or payout.status != P.PENDING:
            raise StateConflictError(
                f"This payout does not wait for approval (status {payout.status}, approval {payout.approval}).",
                code="payout_unexpected_state",
            )
        payout.approval = A.REJECTED
        payout.decided_by = user if user is not None and getattr(user, "pk", None) else None
        payout.failure_message = (reason or "Rejected by an approver")[:500]
        _return_funds(payout, P.CANCELED, actor=actor, action="payout.rejected", reason=reason, kind="cancel")
    return payout


def payout_mark_failed(
    *, payout: Payout, actor: Actor, reason: str, failure_code: str = "could_not_process"
) -> Payout:
    """Finance marks a pending or in-transit payout failed (the bank told them); funds return."""
    if not (reason or "").strip():
        raise InvalidRequestError("A reason is required.", code="parameter_missing", param="reason")
    with transaction.atomic():
        payout = _lock(payout.pk)
        if payout.status not in (P.PENDING, P.IN_TRANSIT) or payout.submission == SUB.SUBMITTING:
            raise StateConflictError(
                f"A {payout.status} payout cannot be marked failed.", code="payout_unexpected_state"
            )
        payout.failure_code = failure_code
        payout.failure_message = reason[:500]
        _return_funds(
            payout, P.FAILED, actor=actor, action="payout.marked_failed", reason=reason, kind="failure"
        )
    return payout


def payout_submit(*, payout_id: int, actor: Actor | None = None) -> Payout:
    """lock → mark submitting → commit → call the bank (our idempotency key) → lock → record."""
    actor = actor or Actor.system("payouts")
    with transaction.atomic():
        payout = _lock(payout_id)
        ready = payout.status == P.PENDING and payout.approval in (A.NOT_REQUIRED, A.APPROVED)
        if not ready or payout.submission == SUB.SUBMITTED:
            return payout
        payout.submission = SUB.SUBMITTING
        payout.submitted_at = timezone.now()
        payout.save(update_fields=["submission", "submitted_at", "updated_at"])
    submitted = gateway.payout_submit(
        idempotency_key=payout.bank_key,
        amount=payout.amount,
        currency=payout.currency,
        account_number=bank_account_number(payout.destination),
        today=timezone.now().date(),
    )
    with transaction.atomic():
        payout = _lock(payout_id)
        if payout.submission != SUB.SUBMITTING:
            return payout
        assert_transition(payout.status, P.IN_TRANSIT)
        payout.status = P.IN_TRANSIT
        payout.submission = SUB.SUBMITTED
        payout.bank_reference = submitted.reference
        payout.arrival_date = submitted.arrival_date
        payout.settle_after = timezone.now() + timedelta(
            seconds=getattr(settings, "PAYOUTS_SANDBOX_SETTLE_SECONDS", 60)
        )
        payout.save()
        audit_record(
            actor=actor,
            action="payout.in_transit",
            merchant=payout.merchant,
            obj=payout,
            after={"bank_reference": payout.bank_reference},
        )
        _event(payout, "payout.updated", {"status": P.PENDING})
    return payout


def payout_settle(*, payout_id: int, actor: Actor | None = None) -> Payout:
    """Asks the bank for the outcome of an in-transit payout, then records paid or failed."""
    actor = actor or Actor.system("payouts")
    payout = Payout.objects.select_related("destination", "merchant").get(pk=payout_id)
    if payout.status != P.IN_TRANSIT:
        return payout
    outcome = gateway.payout_outcome(
        reference=payout.bank_reference, account_number=bank_account_number(payout.destination)
    )
    with transaction.atomic():
        payout = _lock(payout_id)
        if payout.status != P.IN_TRANSIT:
            return payout
        if outcome.paid:
            assert_transition(payout.status, P.PAID)
            payout.status = P.PAID
            payout.paid_at = timezone.now()
            payout.save()
            ledger.ledger_payout_paid(
                merchant=payout.merchant,
                livemode=payout.livemode,
                currency=payout.currency,
                amount=payout.amount,
                payout_id=payout.public_id,
            )
            if payout.destination.status == BankAccount.Status.NEW:
                BankAccount.objects.filter(pk=payout.destination_id).update(
                    status=BankAccount.Status.VERIFIED
                )
            audit_record(actor=actor, action="payout.paid", merchant=payout.merchant, obj=payout)
            _event(payout, "payout.paid", {"status": P.IN_TRANSIT})
        else:
            payout.failure_code = outcome.failure_code
            payout.failure_message = outcome.failure_message
            BankAccount.objects.filter(pk=payout.destination_id).update(status=BankAccount.Status.ERRORED)
            _return_funds(
                payout,
                P.FAILED,
                actor=actor,
                action="payout.failed",
                reason=outcome.failure_message,
                kind="failure",
            )
    return payout


def payouts_submit_due() -> int:
    """Beat: hands pending, released payouts to the bank; re-drives any left `submitting` by a
    crash more than 5 minutes ago (the bank dedupes on our key)."""
    stale = timezone.now() - timedelta(minutes=5)
    ids = list(
        Payout.objects.filter(
            status=P.PENDING, approval__in=[A.NOT_REQUIRED, A.APPROVED], submission=SUB.NOT_SENT
        ).values_list("pk", flat=True)[:500]
    )
    for payout_id in ids:
        payout_submit(payout_id=payout_id)
    stuck = list(
        Payout.objects.filter(
            status=P.PENDING, submission=SUB.SUBMITTING, submitted_at__lt=stale
        ).values_list("pk", flat=True)[:100]
    )
    for payout_id in stuck:
        _resubmit(payout_id)
    return len(ids) + len(stuck)


def _resubmit(payout_id: int) -> None:
    payout = Payout.objects.select_related("destination", "merchant").get(pk=payout_id)
    submitted = gateway.payout_submit(
        idempotency_key=payout.bank_key,
        amount=payout.amount,
        currency=payout.currency,
        account_number=bank_account_number(payout.destination),
        today=timezone.now().date(),
    )
    with transaction.atomic():
        payout = _lock(payout_id)
        if payout.submission != SUB.SUBMITTING or payout.status != P.PENDING:
            return
        payout.status = P.IN_TRANSIT
        payout.submission = SUB.SUBMITTED
        payout.bank_reference = submitted.reference
        payout.arrival_date = submitted.arrival_date
        payout.settle_after = timezone.now()
        payout.save()
        _event(payout, "payout.updated", {"status": P.PENDING})


def payouts_settle_due() -> int:
    ids = list(
        Payout.objects.filter(status=P.IN_TRANSIT, settle_after__lte=timezone.now()).values_list(
            "pk", flat=True
        )[:500]
    )
    for payout_id in ids:
        payout_settle(payout_id=payout_id)
    return len(ids)


# ---------------------------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------------------------


def payout_schedule_get(*, merchant, livemode: bool) -> PayoutSchedule:
    schedule, _ = PayoutSchedule.objects.get_or_create(merchant=merchant, livemode=livemode)
    return schedule


def payout_schedule_update(*, merchant, livemode: bool, changes: dict, actor: Actor) -> PayoutSchedule:
    from .serializers import payout_schedule_to_dict

    with transaction.atomic():
        schedule = payout_schedule_get(merchant=merchant, livemode=livemode)
        schedule = PayoutSchedule.objects.select_for_update().get(pk=schedule.pk)
        before = payout_schedule_to_dict(schedule)
        for name in ("interval", "weekly_anchor", "monthly_anchor", "minimum_amount"):
            if name in changes:
                setattr(schedule, name, changes[name])
        if schedule.weekly_anchor not in PayoutSchedule.WEEKDAYS:
            raise InvalidRequestError(
                "weekly_anchor must be a weekday name.", code="parameter_invalid", param="weekly_anchor"
            )
        schedule.save()
        after = payout_schedule_to_dict(schedule)
        audit_record(
            actor=actor,
            action="payout_schedule.updated",
            merchant=merchant,
            obj=schedule,
            object_id=f"{merchant.public_id}:payout_schedule",
            before=before,
            after=after,
        )
    return schedule


def schedule_is_due(schedule: PayoutSchedule, today: date) -> bool:
    if schedule.interval == PayoutSchedule.Interval.DAILY:
        return True
    if schedule.interval == PayoutSchedule.Interval.WEEKLY:
        return PayoutSchedule.WEEKDAYS[today.weekday()] == schedule.weekly_anchor
    if schedule.interval == PayoutSchedule.Interval.MONTHLY:
        last_day = calendar.monthrange(today.year, today.month)[1]
        return today.day == min(schedule.monthly_anchor, last_day)
    return False


def payouts_run_scheduled(*, today: date | None = None) -> list[Payout]:
    """Beat: for each schedule due today (once a day), sweeps each currency's available balance
    to its default bank account when it reaches the schedule's minimum."""
    today = today or timezone.now().date()
    created: list[Payout] = []
    schedules = PayoutSchedule.objects.exclude(interval=PayoutSchedule.Interval.MANUAL).select_related(
        "merchant"
    )
    for schedule in schedules:
        if schedule.last_run_on == today or not schedule_is_due(schedule, today):
            continue
        merchant, livemode = schedule.merchant, schedule.livemode
        for account in BankAccount.objects.filter(
            merchant=merchant, livemode=livemode, default_for_currency=True
        ).exclude(status=BankAccount.Status.DELETED):
            available = ledger_available_balance(
                merchant=merchant, livemode=livemode, currency=account.currency
            )
            if available <= 0 or available < schedule.minimum_amount:
                continue
            try:
                created.append(
                    payout_create(
                        merchant=merchant,
                        livemode=livemode,
                        amount=available,
                        currency=account.currency,
                        actor=Actor.system("payout_schedule"),
                        automatic=True,
                        description="Automatic payout",
                    )
                )
            except (InvalidRequestError, StateConflictError) as exc:
                logger.warning(
                    "scheduled payout for %s %s skipped: %s", merchant.public_id, account.currency, exc.code
                )
        PayoutSchedule.objects.filter(pk=schedule.pk).update(last_run_on=today)
    return created
