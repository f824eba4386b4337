"""The back office's dispute list and page: read-only, money formatted, searchable by id and
charge, for the roles the matrix grants (support, risk, finance)."""

import pytest
from django.urls import reverse

from apps.core.roles import sync_roles
from tests.admin.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "allowed"), [("support", True), ("risk", True), ("finance", True),
                                               ("compliance", True)])  # fmt: skip
def test_dispute_pages_per_role(role, allowed, client, disputed):
    sync_roles()
    client.force_login(staff_user(role, f"dp-{role}"))
    changelist = client.get(reverse("admin:disputes_dispute_changelist"))
    detail = client.get(reverse("admin:disputes_dispute_change", args=[disputed.pk]))
    if not allowed:
        assert (changelist.status_code, detail.status_code) == (403, 403)
        return
    assert changelist.status_code == 200 and detail.status_code == 200
    assert disputed.public_id in changelist.content.decode()
    assert "20.00" in changelist.content.decode() and "20.00" in detail.content.decode()
    for term in (disputed.public_id, disputed.charge.public_id):
        found = client.get(reverse("admin:disputes_dispute_changelist"), {"q": term}).content.decode()
        assert disputed.public_id in found, term
    missing = client.get(reverse("admin:disputes_dispute_changelist"), {"q": "ch_nothing"}).content.decode()
    assert disputed.public_id not in missing
    filtered = client.get(
        reverse("admin:disputes_dispute_changelist"), {"status__exact": "won"}
    ).content.decode()
    assert disputed.public_id not in filtered
    # Only support drafts evidence; the others see the page read-only.
    posted = client.post(reverse("admin:disputes_dispute_change", args=[disputed.pk]), {})
    assert posted.status_code == (302 if role == "support" else 403)


def test_a_staff_member_without_a_role_sees_no_dispute(client, disputed):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("nobody", password="x-long-password", is_staff=True))
    assert client.get(reverse("admin:disputes_dispute_changelist")).status_code == 403
    assert client.get(reverse("admin:disputes_dispute_change", args=[disputed.pk])).status_code == 403
