"""Two approvers click "approve" at the same moment: the refund is sent exactly once."""

import threading

import pytest
from django.db import connection

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import approval_request_decide
from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.core.errors import StateConflictError
from apps.merchants.models import MerchantSettings
from apps.refunds import services as refund_services
from apps.refunds.models import Refund
from tests.admin.staff import staff_user
from tests.intents.helpers import make_card, pay

pytestmark = pytest.mark.django_db(transaction=True)


def test_double_approve_concurrently_executes_once(api, merchant):
    MerchantSettings.objects.filter(merchant=merchant).update(refund_approval_threshold=1000)
    intent = pay(api, make_card(merchant), amount=5000).json()
    support = staff_user("support", "sue")
    refund = refund_services.refund_create(
        merchant=merchant,
        livemode=False,
        actor=Actor.staff(support),
        payment_intent=intent["id"],
        amount=4000,
        reason="requested_by_customer",
    )
    approval = ApprovalRequest.objects.get(target_id=refund.public_id)
    approvers = [staff_user("finance", "fin-a"), staff_user("finance", "fin-b")]
    barrier = threading.Barrier(len(approvers))
    outcomes: list = []

    def click(user):
        try:
            barrier.wait(timeout=10)
            result = approval_request_decide(
                approval_id=approval.public_id, approve=True, user=user, reason="checked"
            )
            outcomes.append(("ok", result.status))
        except StateConflictError as exc:
            outcomes.append(("conflict", exc.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == [("conflict", "approval_not_pending"), ("ok", "executed")], outcomes
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert AuditEntry.objects.filter(action="refund.approved", object_id=refund.public_id).count() == 1
    assert AuditEntry.objects.filter(action="approval.executed", object_id=approval.public_id).count() == 1
    assert Refund.objects.filter(payment_intent__public_id=intent["id"]).count() == 1
