"""Fraud labels from outside risk: a dispute with reason ``fraudulent`` labels the decision of
its charge as fraud (review outcomes label in services.reviews). Run by the beat schedule."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ..models import FraudLabel, RiskDecision


def labels_from_disputes(*, days: int = 120) -> int:
    from apps.disputes.models import Dispute

    since = timezone.now() - timedelta(days=days)
    disputes = Dispute.objects.filter(reason=Dispute.Reason.FRAUDULENT, created_at__gte=since).values_list(
        "public_id", "charge_id"
    )
    by_charge = dict(
        RiskDecision.objects.filter(charge_id__in=[c for _, c in disputes]).values_list("charge_id", "id")
    )
    created = 0
    for public_id, charge_id in disputes:
        decision_id = by_charge.get(charge_id)
        if decision_id is None:
            continue
        _, made = FraudLabel.objects.get_or_create(
            decision_id=decision_id,
            source="dispute",
            source_id=public_id,
            defaults={"label": FraudLabel.Label.FRAUD},
        )
        created += made
    return created
