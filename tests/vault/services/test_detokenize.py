"""Audited detokenization: the one way other apps read a number back."""

import pytest

from apps.audit.models import AuditEntry
from apps.audit.services import Actor
from apps.vault import services
from apps.vault.models import VaultRecord
from tests.vault.factories import ACTOR, make_card

pytestmark = pytest.mark.django_db


def test_detokenize_returns_card_data_and_writes_audit(merchant):
    pm = make_card(merchant)
    card = services.vault_detokenize(
        payment_method=pm, purpose="authorize", actor=Actor.system("connector:sandbox")
    )
    assert (card.number, card.exp_month, card.exp_year, card.brand) == ("4242424242424242", 12, 2034, "visa")
    assert "4242424242424242" not in repr(card)
    entry = AuditEntry.objects.get(action="vault.detokenize", object_id=pm.public_id)
    assert entry.after["purpose"] == "authorize"
    assert entry.actor_label == "connector:sandbox"
    assert "4242424242424242" not in str(entry.after)


def test_detokenize_bank_accounts(merchant):
    sepa = services.payment_method_create_sepa_debit(
        merchant=merchant, livemode=False, iban="DE89370400440532013000", actor=ACTOR
    )
    us = services.payment_method_create_us_bank_account(
        merchant=merchant,
        livemode=False,
        routing_number="110000000",
        account_number="000123456789",
        actor=ACTOR,
    )
    assert (
        services.vault_detokenize(payment_method=sepa, purpose="debit", actor=ACTOR).iban
        == "DE89370400440532013000"
    )
    data = services.vault_detokenize(payment_method=us, purpose="debit", actor=ACTOR)
    assert (data.routing_number, data.account_number) == ("110000000", "000123456789")
    assert "000123456789" not in repr(data)


def test_vault_record_copied_to_another_merchant_does_not_decrypt(merchant, other_merchant):
    from apps.vault.errors import VaultDecryptionError

    pm = make_card(merchant)
    VaultRecord.objects.filter(pk=pm.vault_record_id).update(merchant=other_merchant)
    pm.refresh_from_db()
    with pytest.raises(VaultDecryptionError):
        services.vault_detokenize(payment_method=pm, purpose="authorize", actor=ACTOR)
