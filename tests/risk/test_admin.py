"""The risk role's back office: the review queue (authorization expiry first, warning band),
approve / refund as fraud / cancel with a reason and audit; overrides with maker-checker; a
rule-set version's backtest and its audited activation; the card-testing guard lift."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEntry
from apps.intents.models import PaymentIntent
from apps.refunds.models import Refund
from apps.risk.models import FraudLabel, Override, Review, RiskDecision, RiskSettings, RuleSet
from apps.risk.selectors import decision_for_charge
from apps.webhooks.models import Event
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db

QUEUE = "admin:risk_review_changelist"


def logged_in(role, name):
    client = Client()
    client.force_login(staff_user(role, name))
    return client


@pytest.fixture
def analyst():
    return logged_in("risk", "rita")


def _act(client, url_name, action, pk, reason="checked with the customer", follow=False):
    return client.post(reverse(url_name), {"action": action, "_selected_action": [pk], "apply": "1",
                                            "reason": reason}, follow=follow)  # fmt: skip


def _reviewed(api, merchant, amount, **body):
    return pay(api, make_card(merchant), amount=amount, **body).json()


def test_queue_sorted_by_authorization_expiry_with_a_warning_band(analyst, api, merchant, rules):
    rules(("review", ":amount: > 100"))
    late = _reviewed(api, merchant, 1000)
    soon = _reviewed(api, merchant, 2000)
    Review.objects.filter(payment_intent__public_id=soon["id"]).update(
        authorization_expires_at=timezone.now() + timedelta(hours=5)
    )
    page = analyst.get(reverse(QUEUE), {"open__exact": "1"}).content.decode()
    assert page.index(soon["id"]) < page.index(late["id"])
    assert page.count("expires in under 24 h") == 1
    assert "review: :amount: &gt; 100" in page  # matched rules at a glance
    assert "approve_reviews" in page and "refund_reviews_as_fraud" in page and "cancel_reviews" in page


def test_approve_captures_a_held_payment_audited_with_events_and_a_label(
    analyst, api, merchant, rules, django_capture_on_commit_callbacks
):
    rules(("review", ":amount: > 100"))
    body = _reviewed(api, merchant, 1500)
    review = Review.objects.get(payment_intent__public_id=body["id"])
    assert _act(analyst, QUEUE, "approve_reviews", review.pk, reason="").status_code == 200  # reason required
    assert Review.objects.get(pk=review.pk).open
    _act(analyst, QUEUE, "approve_reviews", review.pk)
    review.refresh_from_db()
    assert not review.open and review.closed_reason == "approved" and review.closed_by == "rita"
    assert PaymentIntent.objects.get(public_id=body["id"]).status == "succeeded"
    entry = AuditEntry.objects.get(action="review.closed")
    assert entry.reason == "checked with the customer" and entry.actor_label == "rita"
    assert set(Event.objects.filter(type__startswith="review.").values_list("type", flat=True)) == {
        "review.opened", "review.closed"
    }  # fmt: skip
    assert FraudLabel.objects.get(decision=review.decision).label == "not_fraud"


def test_refund_as_fraud_refunds_a_captured_payment(analyst, api, merchant, rules):
    RiskSettings.objects.create(merchant=merchant, review_capture="capture")
    rules(("review", ":amount: > 100"))
    body = _reviewed(api, merchant, 1500)
    review = Review.objects.get(payment_intent__public_id=body["id"])
    _act(analyst, QUEUE, "refund_reviews_as_fraud", review.pk, reason="stolen card reported")
    refund = Refund.objects.get(payment_intent__public_id=body["id"])
    assert refund.reason == "fraudulent" and refund.amount == 1500
    review.refresh_from_db()
    assert review.closed_reason == "refunded_as_fraud"
    assert FraudLabel.objects.get(decision=review.decision).label == "fraud"


def test_cancel_voids_a_held_authorization(analyst, api, merchant, rules):
    rules(("review", ":amount: > 100"))
    body = _reviewed(api, merchant, 1500)
    review = Review.objects.get(payment_intent__public_id=body["id"])
    _act(analyst, QUEUE, "cancel_reviews", review.pk, reason="no answer from the customer")
    intent = PaymentIntent.objects.get(public_id=body["id"])
    assert intent.status == "canceled" and intent.cancellation_reason == "fraudulent"
    assert Review.objects.get(pk=review.pk).closed_reason == "canceled"


def test_roles_without_risk_do_not_get_the_review_actions(api, merchant, rules):
    rules(("review", ":amount: > 100"))
    _reviewed(api, merchant, 1500)
    page = logged_in("compliance", "cora").get(reverse(QUEUE))
    assert page.status_code == 403 or "approve_reviews" not in page.content.decode()


def test_override_above_the_amount_needs_a_second_analyst(
    api, merchant, rules, django_capture_on_commit_callbacks
):
    RiskSettings.objects.create(merchant=merchant, override_approval_amount=50_000)
    rules(("block", ":amount: > 10000"))
    blocked = pay(api, make_card(merchant), amount=90_000)
    assert blocked.status_code == 402
    intent = blocked.json()["error"]["payment_intent"]["id"]
    maker, checker = logged_in("risk", "rita"), logged_in("risk", "ravi")
    with django_capture_on_commit_callbacks(execute=True):
        added = maker.post(reverse("admin:risk_override_add"), {
            "merchant": merchant.pk, "kind": "payment", "value": intent, "effect": "allow",
            "reason": "customer verified by phone",
        })  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:2000]
    override = Override.objects.get()
    assert override.status == "pending_approval" and override.before["action"] == "block"
    approval = ApprovalRequest.objects.get(target_id=override.public_id)
    # still blocked while it waits
    assert api.post(f"/v1/payment_intents/{intent}/confirm", {"payment_method": make_card(merchant).public_id},
                    format="json").status_code == 402  # fmt: skip
    decide = reverse("admin:approvals_approvalrequest_decide", args=[approval.pk])
    refused = maker.post(decide, {"decision": "approve", "reason": "mine", "apply": "1"})
    assert refused.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        checker.post(decide, {"decision": "approve", "reason": "agree, verified", "apply": "1"})
    override.refresh_from_db()
    assert override.status == "active" and override.approved_by == "ravi"
    confirmed = api.post(f"/v1/payment_intents/{intent}/confirm", {"payment_method": make_card(merchant).public_id},
                         format="json")  # fmt: skip
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    decision = RiskDecision.objects.get(charge__public_id=confirmed.json()["latest_charge"])
    assert decision.source == "override" and decision.inputs["override"]["id"] == override.public_id
    activated = AuditEntry.objects.get(action="risk.override.activated")
    assert activated.before["action"] == "block" and activated.after["effect"] == "allow"


def test_a_small_block_override_is_active_at_once(api, merchant, django_capture_on_commit_callbacks):
    analyst = logged_in("risk", "rita")
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(reverse("admin:risk_override_add"), {
            "merchant": merchant.pk, "kind": "email", "value": "Bad@Example.com", "effect": "block",
            "reason": "known fraudster",
        })  # fmt: skip
    assert Override.objects.get().status == "active"
    assert not ApprovalRequest.objects.exists()
    body = pay(api, make_card(merchant), receipt_email="bad@example.com")
    assert body.status_code == 402 and body.json()["error"]["decline_code"] == "fraudulent"


def test_version_page_shows_the_backtest_and_activation_is_audited(analyst, api, merchant, rules):
    rules(("review", ":amount: > 100000"))
    for amount in (1000, 2000, 3000):
        pay(api, make_card(merchant), amount=amount)
    from apps.audit.services import Actor
    from apps.risk.services import rule_set_version_create

    draft = rule_set_version_create(merchant=merchant, livemode=False, actor=Actor.system("t"),
                                    rules=[{"action": "block", "predicate": ":amount: >= 2000"}])  # fmt: skip
    page = analyst.get(reverse("admin:risk_ruleset_change", args=[draft.pk])).content.decode()
    assert "3 decisions replayed: would block 2, review 0, request 3DS 0, allow 1 (2 change)" in page
    _act(
        analyst,
        "admin:risk_ruleset_changelist",
        "activate_versions",
        draft.pk,
        reason="stricter for the sale",
    )
    draft.refresh_from_db()
    assert draft.is_active and not RuleSet.objects.get(version=1).is_active
    entry = AuditEntry.objects.filter(action="risk.rule_set.activated").latest("id")
    assert entry.after["backtest"]["would"] == {"block": 2, "allow": 1} and entry.before["version"] == 1


def test_rules_page_shows_hits_and_blocked_money(analyst, api, merchant, rules):
    rules(("block", ":amount: > 5000"))
    pay(api, make_card(merchant), amount=9000)
    pay(api, make_card(merchant), amount=1000)
    page = analyst.get(reverse("admin:risk_rule_changelist")).content.decode()
    assert "90.00 USD" in page and "labelled precision" in page


def test_decision_selector_for_the_payment_timeline(api, merchant, rules):
    rules(("review", ":amount: > 100"))
    body = _reviewed(api, merchant, 1500)
    from apps.intents.models import Charge

    charge = Charge.objects.get(public_id=body["latest_charge"])
    decision = decision_for_charge(charge)
    assert decision.action == "review" and decision.matched_rules[0]["predicate"] == ":amount: > 100"


def test_a_draft_version_from_the_admin_refuses_a_bad_rule_with_its_position(analyst, merchant):
    url = reverse("admin:risk_ruleset_add")
    form = analyst.get(url)
    assert form.status_code == 200 and "One rule a line" in form.content.decode()
    bad = analyst.post(url, {"merchant": merchant.pk, "rules": "block: :risk_score: > 75\nreview: :amount: >",
                             "reason": "tighten for the sale"})  # fmt: skip
    assert "Line 2: Invalid rule at line 1, column 11: the rule ends too early" in bad.content.decode()
    assert not RuleSet.objects.exists()
    ok = analyst.post(url, {"merchant": merchant.pk, "rules": "block: :risk_score: > 75\n\nreview: :amount: > 100",
                            "reason": "tighten for the sale"}, follow=True)  # fmt: skip
    assert "Draft version 1 created (not active)" in ok.content.decode()
    draft = RuleSet.objects.get()
    assert not draft.is_active and [r.action for r in draft.rules.order_by("position")] == ["block", "review"]


def test_risk_settings_saved_through_the_service(analyst, merchant):
    url = reverse("admin:risk_risksettings_add")
    response = analyst.post(url, {"merchant": merchant.pk, "elevated_threshold": 50, "highest_threshold": 80,
                                  "review_capture": "capture", "override_approval_amount": 1000,
                                  "card_testing_declines": 4, "card_testing_window_seconds": 600,
                                  "card_testing_block_seconds": 1800})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    settings = RiskSettings.objects.get(merchant=merchant)
    assert (settings.highest_threshold, settings.review_capture) == (80, "capture")
    assert AuditEntry.objects.get(action="risk.settings.updated").actor_label == "rita"
