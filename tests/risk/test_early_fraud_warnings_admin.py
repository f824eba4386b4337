"""Early fraud warnings in the risk back office: the review queue flags the payment under review
whose charge has one, the warnings have their own read-only page, and the payment workbench
timeline shows them."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.risk.models import EarlyFraudWarning, Review
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db


def test_the_review_queue_and_the_workbench_show_the_warning(api, merchant, rules):
    rules(("review", ":amount: > 100"))
    flagged = pay(api, make_card(merchant), amount=1500).json()
    quiet = pay(api, make_card(merchant), amount=2500).json()
    assert Review.objects.filter(open=True).count() == 2
    resp = api.post("/v1/test_helpers/simulate", {"type": "early_fraud_warning.created", "object": flagged["id"],
                                                  "fraud_type": "unauthorized_use_of_card"}, format="json")  # fmt: skip
    assert resp.json()["status"] == "applied", resp.json()
    analyst = Client()
    analyst.force_login(staff_user("risk", "rita"))
    page = analyst.get(reverse("admin:risk_review_changelist"), {"open__exact": "1"}).content.decode()
    assert page.count("⚠ unauthorized use of card") == 1
    assert flagged["id"] in page and quiet["id"] in page
    warning = EarlyFraudWarning.objects.get()
    listing = analyst.get(reverse("admin:risk_earlyfraudwarning_changelist")).content.decode()
    assert warning.public_id in listing and "unauthorized_use_of_card" in listing
    detail = analyst.get(reverse("admin:risk_earlyfraudwarning_change", args=[warning.pk]))
    assert detail.status_code == 200
    from apps.intents.models import PaymentIntent

    intent = PaymentIntent.objects.get(public_id=flagged["id"])
    bench = analyst.get(reverse("admin:intents_paymentintent_change", args=[intent.pk])).content.decode()
    assert "Early fraud warning: unauthorized use of card" in bench
