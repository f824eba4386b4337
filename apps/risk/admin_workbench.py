"""The risk app's part of the payment workbench (apps.backoffice.timeline): each attempt's risk
decision, early fraud warnings and reviews on the timeline, and the Review button."""

from __future__ import annotations

from django.urls import reverse

from apps.backoffice.timeline import TimelineEntry, WorkbenchButton, timeline_source, workbench_button

from .models import EarlyFraudWarning, Review, RiskDecision


@timeline_source("risk")
def _risk_timeline(intent):
    """Each attempt's risk decision, and the payment's reviews."""
    for d in RiskDecision.objects.filter(payment_intent=intent).order_by("id")[:50]:
        rules = "; ".join(f"{m.get('action')}: {m.get('predicate')}" for m in (d.matched_rules or [])[:3]
                          if isinstance(m, dict)) or "no rule matched"  # fmt: skip
        tone = {"block": "danger", "review": "warning", "request_3ds": "info"}.get(d.action, "success")
        yield TimelineEntry(
            at=d.created_at, kind="risk", title=f"Risk: {d.action.replace('_', ' ')} (score {d.score}, {d.risk_level})",
            detail=f"{rules} · rule set v{d.rule_set_version or '—'} · {d.source}", tone=tone,
            url=reverse("admin:risk_riskdecision_change", args=[d.pk]),
        )  # fmt: skip
    for w in EarlyFraudWarning.objects.filter(payment_intent=intent).order_by("id")[:20]:
        yield TimelineEntry(
            at=w.created_at, kind="risk", tone="danger",
            title=f"Early fraud warning: {w.fraud_type.replace('_', ' ')}",
            detail="actionable: refund to avert a dispute" if w.actionable else "not actionable",
            url=reverse("admin:risk_earlyfraudwarning_change", args=[w.pk]),
        )  # fmt: skip
    for r in Review.objects.filter(payment_intent=intent).order_by("id")[:20]:
        yield TimelineEntry(
            at=r.created_at, kind="review", tone="warning" if r.open else "info",
            title="Review opened" if r.open else f"Review closed: {r.closed_reason.replace('_', ' ')}",
            detail=r.opened_reason, url=reverse("admin:risk_review_change", args=[r.pk]),
        )  # fmt: skip


@workbench_button("review")
def _review_button(request, intent):
    review = Review.objects.filter(payment_intent=intent, open=True).only("pk").first()
    if review is not None and request.user.has_perm("risk.view_review"):
        return WorkbenchButton(label="Review", url=reverse("admin:risk_review_change", args=[review.pk]))
    return None
