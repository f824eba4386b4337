"""Resolving discrepancies. Every action locks the discrepancy, checks it is open, writes its
resolution and note, and the audit entry, in one transaction. No action deletes a row or silently
takes one out of automatic matching: each says what it does (`Discrepancy.RESOLUTION_EFFECTS`).

Money-moving actions (write-off, accept as fee, create the missing entry) and force-matches go through the maker-checker
(apps.approvals kind "reconciliation_writeoff") when the difference exceeds the threshold."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.approvals.services import approval_request_create
from apps.audit.services import Actor, audit_record
from apps.ledger.services import ledger_post_clearing_difference

from ..errors import DiscrepancyActionInvalid, DiscrepancyAlreadyResolved, ResolutionNoteMissing
from ..models import Discrepancy, LedgerItem, SettlementLine
from .turns import action_turn

D = Discrepancy.Type
ITEM_TYPES = (D.AMOUNT_OVER, D.AMOUNT_UNDER, D.FEE_MISMATCH, D.CURRENCY_MISMATCH)
ACTIONS = {
    "ignore": tuple(D.values),
    "mark_received": (D.MISSING, D.BANK_CREDIT_MISSING),
    "link": (D.MISSING, D.UNKNOWN_REFERENCE),
    "force_match": ITEM_TYPES,
    "write_off": (D.AMOUNT_OVER, D.AMOUNT_UNDER, D.FEE_MISMATCH, D.PAYOUT_MISMATCH),
    "accept_as_fee": (D.AMOUNT_UNDER, D.FEE_MISMATCH),
    "edit_line": (D.UNKNOWN_REFERENCE, D.AMOUNT_OVER, D.AMOUNT_UNDER, D.CURRENCY_MISMATCH, D.FEE_MISMATCH),
    # The acquirer settled a line Clearhouse has no entry for: book it (maker-checker like a write-off).
    "create_entry": (D.UNKNOWN_REFERENCE, D.STATUS_MISMATCH),
}
EDITABLE_FIELDS = ("psp_reference", "gross", "fee", "currency")
APPROVAL_KIND = "reconciliation_writeoff"


def actions_for(discrepancy: Discrepancy) -> list[str]:
    if discrepancy.status != Discrepancy.Status.OPEN:
        return []
    return [name for name, types in ACTIONS.items() if discrepancy.type in types]


def _threshold() -> int:
    return getattr(settings, "RECONCILIATION_APPROVAL_THRESHOLD", 0)


def _lock_open(discrepancy_id: int, action: str, note: str) -> Discrepancy:
    if not (note or "").strip():
        raise ResolutionNoteMissing()
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy_id)
    if discrepancy.status != Discrepancy.Status.OPEN:
        raise DiscrepancyAlreadyResolved(discrepancy=discrepancy.public_id, resolution=discrepancy.resolution)
    if discrepancy.type not in ACTIONS.get(action, ()):
        raise DiscrepancyActionInvalid(action=action, kind=discrepancy.type)
    return discrepancy


def _resolve(discrepancy: Discrepancy, resolution: str, note: str, actor: Actor, **after) -> Discrepancy:
    before = {"status": discrepancy.status, "type": discrepancy.type, "diffs": discrepancy.diffs}
    discrepancy.status = Discrepancy.Status.RESOLVED
    discrepancy.resolution = resolution
    discrepancy.note = note.strip()
    discrepancy.resolved_by = actor.label[:150]
    discrepancy.resolved_at = timezone.now()
    discrepancy.save()
    audit_record(actor=actor, action=f"reconciliation.discrepancy_{resolution}", merchant=discrepancy.merchant,
                 obj=discrepancy, before=before,
                 after={"resolution": resolution, "effect": Discrepancy.RESOLUTION_EFFECTS[resolution], **after},
                 reason=note)  # fmt: skip
    return discrepancy


def discrepancy_resolve(
    *, discrepancy_id: int, action: str, note: str, actor: Actor, line_id: int | None = None,
    item_id: int | None = None, edits: dict | None = None, requested_by_user=None,
) -> Discrepancy:  # fmt: skip
    """One entry point for every action (API and admin). Answers the discrepancy as it now stands
    (still open while a write-off waits for its approver)."""
    if action not in ACTIONS:
        raise DiscrepancyActionInvalid(action=action, kind="reconciliation")
    with transaction.atomic():
        action_turn()  # not while a pass is deciding these rows
        discrepancy = _lock_open(discrepancy_id, action, note)
        handler = _HANDLERS[action]
        return handler(discrepancy, note=note, actor=actor, line_id=line_id, item_id=item_id, edits=edits or {},
                       requested_by_user=requested_by_user)  # fmt: skip


def _ignore(discrepancy, *, note, actor, **_):
    return _resolve(discrepancy, Discrepancy.Resolution.IGNORED, note, actor)


def _mark_received(discrepancy, *, note, actor, **_):
    if discrepancy.item_id:
        LedgerItem.objects.filter(pk=discrepancy.item_id).update(
            marked_received=True, status=LedgerItem.Status.MATCHED, match_kind=LedgerItem.MatchKind.MANUAL
        )
    return _resolve(discrepancy, Discrepancy.Resolution.MARKED_RECEIVED, note, actor)


def _link(discrepancy, *, note, actor, line_id=None, item_id=None, **_):
    """A missing item to a line (`line_id`), or an unknown line to an item (`item_id`)."""
    item_pk = discrepancy.item_id or item_id
    line_pk = discrepancy.line_id or line_id
    if not item_pk or not line_pk:
        raise DiscrepancyActionInvalid(action="link", kind=f"{discrepancy.type} (name the other side)")
    item = LedgerItem.objects.select_for_update().get(pk=item_pk)
    line = SettlementLine.objects.get(pk=line_pk)
    item.line, item.pinned, item.match_kind = line, True, LedgerItem.MatchKind.MANUAL
    item.status = LedgerItem.Status.MATCHED
    item.save(update_fields=["line", "pinned", "match_kind", "status"])
    return _resolve(discrepancy, Discrepancy.Resolution.LINKED, note, actor, item=item.pk, line=line.pk)


def _needs_approval(discrepancy) -> bool:
    return abs(discrepancy.difference) > _threshold() or _threshold() == 0


def _request(discrepancy, *, note, actor, requested_by_user, operation: str) -> Discrepancy:
    if discrepancy.merchant is None:
        raise DiscrepancyActionInvalid(action=operation, kind=f"{discrepancy.type} without a merchant")
    if discrepancy.approval_id:
        return discrepancy  # already waiting for its approver
    approval = approval_request_create(
        kind=APPROVAL_KIND, merchant=discrepancy.merchant, livemode=discrepancy.livemode,
        target_type="reconciliation.discrepancy", target_id=discrepancy.public_id,
        amount=abs(discrepancy.difference), currency=discrepancy.currency, reason=note, requested_by=actor,
        requested_by_user=requested_by_user, payload={"operation": operation},
    )  # fmt: skip
    discrepancy.approval_id = approval.public_id
    discrepancy.save(update_fields=["approval_id", "updated_at"])
    audit_record(actor=actor, action="reconciliation.discrepancy_approval_requested", merchant=discrepancy.merchant,
                 obj=discrepancy, after={"operation": operation, "approval": approval.public_id}, reason=note)  # fmt: skip
    return discrepancy


def _force_match(discrepancy, *, note, actor, requested_by_user=None, approved: bool = False, **_):
    if not approved and _needs_approval(discrepancy):
        return _request(discrepancy, note=note, actor=actor, requested_by_user=requested_by_user,
                        operation="force_match")  # fmt: skip
    LedgerItem.objects.filter(pk=discrepancy.item_id).update(
        pinned=True, match_kind=LedgerItem.MatchKind.FORCED, status=LedgerItem.Status.MATCHED
    )
    return _resolve(discrepancy, Discrepancy.Resolution.FORCED, note, actor)


def _money(
    discrepancy, *, note, actor, requested_by_user=None, approved: bool = False, counterpart: str, **_
):
    operation = "write_off" if counterpart == "adjustments" else "accept_as_fee"
    if not approved and _needs_approval(discrepancy):
        return _request(
            discrepancy, note=note, actor=actor, requested_by_user=requested_by_user, operation=operation
        )
    entry = ledger_post_clearing_difference(
        livemode=discrepancy.livemode, connector_code=discrepancy.connector_code, currency=discrepancy.currency,
        difference=discrepancy.difference, counterpart=counterpart, reason=note, actor=actor,
        idempotency_key=discrepancy.public_id, merchant=discrepancy.merchant, source_id=discrepancy.public_id,
    )  # fmt: skip
    discrepancy.adjustment_entry_id = entry.public_id
    if discrepancy.item_id:
        # The item's difference is accounted for: the pair counts as matched, still re-checked by runs.
        LedgerItem.objects.filter(pk=discrepancy.item_id).update(
            pinned=True, match_kind=LedgerItem.MatchKind.FORCED, status=LedgerItem.Status.MATCHED
        )
    return _resolve(discrepancy, Discrepancy.Resolution.WRITTEN_OFF, note, actor, entry=entry.public_id,
                    counterpart=counterpart)  # fmt: skip


def _create_entry(discrepancy, *, note, actor, requested_by_user=None, approved: bool = False, **_):
    """The missing ledger entry of a settled line: the clearing account takes what the acquirer
    settled (as a capture's clearing leg would), platform adjustments the other side — balanced,
    through the ledger's own service; a ledger item for it is pinned to the line."""
    if not approved and _needs_approval(discrepancy):
        return _request(discrepancy, note=note, actor=actor, requested_by_user=requested_by_user,
                        operation="create_entry")  # fmt: skip
    line = SettlementLine.objects.get(pk=discrepancy.line_id)
    gross, currency = line.edited.get("gross", line.gross), line.edited.get("currency", line.currency)
    entry = ledger_post_clearing_difference(
        livemode=line.livemode, connector_code=line.connector_code, currency=currency, difference=int(gross),
        counterpart="adjustments", reason=note, actor=actor, idempotency_key=f"{discrepancy.public_id}:entry",
        merchant=discrepancy.merchant, source_id=discrepancy.public_id,
    )  # fmt: skip
    item, _ = LedgerItem.objects.get_or_create(
        entry=entry,
        defaults={
            "merchant": discrepancy.merchant, "livemode": line.livemode, "connector_code": line.connector_code,
            "kind": entry.kind, "source_type": "reconciliation", "source_id": discrepancy.public_id,
            "gateway_reference": line.edited.get("psp_reference", line.psp_reference), "amount": int(gross),
            "currency": currency, "effective_on": line.settled_on, "status": LedgerItem.Status.MATCHED,
            "match_kind": LedgerItem.MatchKind.MANUAL, "line": line, "pinned": True,
        },
    )  # fmt: skip
    discrepancy.adjustment_entry_id = entry.public_id
    discrepancy.item = item
    return _resolve(discrepancy, Discrepancy.Resolution.ENTRY_CREATED, note, actor, entry=entry.public_id,
                    item=item.pk, line=line.pk)  # fmt: skip


def _edit_line(discrepancy, *, note, actor, edits, **_):
    unknown = set(edits) - set(EDITABLE_FIELDS)
    if not edits or unknown or not discrepancy.line_id:
        raise DiscrepancyActionInvalid(
            action="edit_line", kind=f"{discrepancy.type} (fields: {', '.join(EDITABLE_FIELDS)})"
        )
    line = SettlementLine.objects.select_for_update().get(pk=discrepancy.line_id)
    before = {name: getattr(line, name) for name in edits}
    line.edited = {
        **line.edited,
        **{k: (str(v) if k in ("psp_reference", "currency") else int(v)) for k, v in edits.items()},
    }
    line.save(update_fields=["edited"])
    return _resolve(discrepancy, Discrepancy.Resolution.LINE_EDITED, note, actor, line_before=before,
                    line_edited=line.edited)  # fmt: skip


def discrepancy_approved(*, discrepancy_public_id: str, operation: str, actor: Actor, reason: str) -> None:
    """The approvals executor: the second finance member agreed."""
    with transaction.atomic():
        action_turn()
        discrepancy = Discrepancy.objects.select_for_update().get(public_id=discrepancy_public_id)
        if discrepancy.status != Discrepancy.Status.OPEN:
            return
        if operation == "force_match":
            _force_match(discrepancy, note=reason, actor=actor, approved=True)
        elif operation == "create_entry":
            _create_entry(discrepancy, note=reason, actor=actor, approved=True)
        else:
            counterpart = "adjustments" if operation == "write_off" else "fees"
            _money(discrepancy, note=reason, actor=actor, approved=True, counterpart=counterpart)


def discrepancy_approval_rejected(*, discrepancy_public_id: str, actor: Actor) -> None:
    Discrepancy.objects.filter(public_id=discrepancy_public_id, status=Discrepancy.Status.OPEN).update(
        approval_id=""
    )


_HANDLERS = {
    "ignore": _ignore,
    "mark_received": _mark_received,
    "link": _link,
    "force_match": _force_match,
    "write_off": lambda d, **kw: _money(d, counterpart="adjustments", **kw),
    "accept_as_fee": lambda d, **kw: _money(d, counterpart="fees", **kw),
    "edit_line": _edit_line,
    "create_entry": _create_entry,
}
