"""Card tokens: unused expired ones are purged by the beat task."""

import pytest

from apps.vault import services
from apps.vault.models import VaultRecord
from tests.vault.factories import ACTOR, make_token

pytestmark = pytest.mark.django_db


def test_expired_unused_tokens_are_purged_with_their_vault_record(merchant):
    import datetime as dt

    from apps.vault.models import Token
    from apps.vault.tasks import token_purge_expired_task

    old = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    unused = make_token(merchant, "4242424242424242")
    used = make_token(merchant, "5555555555554444")
    fresh = make_token(merchant, "6011111111111117")
    pm = services.payment_method_create_from_token(
        merchant=merchant, livemode=False, token=used.public_id, actor=ACTOR
    )
    Token.objects.filter(pk__in=[unused.pk, used.pk]).update(expires_at=old)
    assert token_purge_expired_task() == 1
    assert set(Token.objects.values_list("public_id", flat=True)) == {used.public_id, fresh.public_id}
    assert not VaultRecord.objects.filter(pk=unused.vault_record_id).exists()
    assert VaultRecord.objects.filter(pk=pm.vault_record_id).exists()
    assert token_purge_expired_task() == 0
