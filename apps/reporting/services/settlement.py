"""Finance's sign-off of a day's settlement report (audited)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record

from ..models import SettlementSignOff
from ..settlement import settlement_report


def settlement_sign_off(
    *, merchant, livemode: bool, day: date, connector: str, currency: str, tz: ZoneInfo, user, note: str = ""
) -> SettlementSignOff:
    """Record that `user` signed off the day's figures of one acquirer and currency, with the
    figures as they stand now. Signing again replaces the sign-off (the audit log keeps both)."""
    report = settlement_report(merchant=merchant, livemode=livemode, day=day, tz=tz)
    line = next((x for x in report.lines if x.connector == connector and x.currency == currency), None)
    bridge = next((b for b in report.bridges if b.currency == currency), None)
    figures = {
        "acquirer": line.figures() if line else None,
        "bridge": {
            "opening_balance": bridge.opening_balance,
            "activity": bridge.activity_net,
            "payouts": bridge.payouts,
            "closing_balance": bridge.closing_balance,
        }
        if bridge
        else None,
        "timezone": str(tz),
    }
    with transaction.atomic():
        previous = (
            SettlementSignOff.objects.select_for_update()
            .filter(merchant=merchant, livemode=livemode, day=day, connector=connector, currency=currency)
            .first()
        )
        before = {"figures": previous.figures, "signed_by": previous.signed_by_id} if previous else None
        signoff, _ = SettlementSignOff.objects.update_or_create(
            merchant=merchant,
            livemode=livemode,
            day=day,
            connector=connector,
            currency=currency,
            defaults={"figures": figures, "signed_by": user, "signed_at": timezone.now(), "note": note[:500]},
        )
        audit_record(
            actor=Actor.staff(user),
            action="settlement_report.signed_off",
            merchant=merchant,
            object_type="reporting.settlementsignoff",
            object_id=f"{day.isoformat()}/{connector or '-'}/{currency}",
            before=before,
            after={"figures": figures},
            reason=note,
        )
    return signoff
