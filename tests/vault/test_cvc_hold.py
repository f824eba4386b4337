"""The CVC hold (apps/vault/services/cvc.py): the CVC given at tokenization is kept sealed, apart
from the number, bound to its record by associated data of its own purpose, read back for the
first authorization only, and gone after the release or its hour (the sweeper)."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from apps.audit.services import Actor
from apps.vault import crypto
from apps.vault import services as vault_services
from apps.vault.errors import VaultDecryptionError
from apps.vault.models import CvcHold, PaymentMethod, Token, VaultRecord
from apps.vault.selectors import payment_method_for_payment
from apps.vault.services.records import vault_record_read
from apps.vault.tasks import cvc_hold_purge_expired_task

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")
CVC = "737"


def _card(merchant, *, cvc=CVC, number="4242424242424242", livemode=False):
    return vault_services.payment_method_create_card(
        merchant=merchant, livemode=livemode, number=number, exp_month=12, exp_year=2034, cvc=cvc, actor=ACTOR
    )


def _detokenize(pm, **kw):
    return vault_services.vault_detokenize(payment_method=pm, purpose="authorize ch_test", actor=ACTOR, **kw)


def test_the_cvc_given_to_the_payment_methods_api_is_held_sealed_for_an_hour(api):
    before = timezone.now()
    response = api.post(
        "/v1/payment_methods",
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": CVC},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert CVC not in response.content.decode().replace(response.json()["id"], "")
    pm = PaymentMethod.objects.get(public_id=response.json()["id"])
    hold = CvcHold.objects.get(vault_record_id=pm.vault_record_id)
    assert before + timedelta(minutes=59) < hold.expires_at <= timezone.now() + timedelta(hours=1)
    assert CVC.encode() not in bytes(hold.ciphertext)
    assert len(bytes(hold.ciphertext)) == len(CVC) + 16  # AES-GCM: the code and its tag, nothing else
    assert bytes(hold.wrapped_key) != bytes(pm.vault_record.wrapped_key)  # its own data key
    assert _detokenize(pm).cvc == CVC


def test_a_card_token_holds_its_cvc_and_the_payment_method_made_from_it_inherits_it(publishable, api):
    token = publishable.post(
        "/v1/tokens",
        {"card": {"number": "5555555555554444", "exp_month": 1, "exp_year": 2035, "cvc": CVC}},
        format="json",
    )
    assert token.status_code == 200, token.content
    record_id = Token.objects.get(public_id=token.json()["id"]).vault_record_id
    assert CvcHold.objects.filter(vault_record_id=record_id).exists()
    made = api.post("/v1/payment_methods", {"type": "card", "token": token.json()["id"]}, format="json")
    assert made.status_code == 200, made.content
    pm = PaymentMethod.objects.get(public_id=made.json()["id"])
    assert pm.vault_record_id == record_id
    assert _detokenize(pm).cvc == CVC


def test_no_cvc_given_holds_nothing(merchant):
    pm = _card(merchant, cvc=None)
    assert not CvcHold.objects.exists()
    assert _detokenize(pm).cvc == ""


def test_the_hold_opens_only_as_a_cvc_of_its_own_record(merchant):
    """Its associated data has its own purpose: copied onto the number's row (or another
    record's hold), it does not decrypt, nor does the number's envelope as a CVC."""
    first, second = _card(merchant), _card(merchant, cvc="1234", number="378282246310005")
    hold = CvcHold.objects.get(vault_record_id=first.vault_record_id)
    record = VaultRecord.objects.get(pk=first.vault_record_id)
    record.kek_version, record.wrapped_key = hold.kek_version, hold.wrapped_key
    record.nonce, record.ciphertext = hold.nonce, hold.ciphertext
    with pytest.raises(VaultDecryptionError):
        vault_record_read(record)
    number = VaultRecord.objects.get(pk=second.vault_record_id)
    envelope = crypto.Envelope(number.kek_version, bytes(number.wrapped_key), bytes(number.nonce),
                               bytes(number.ciphertext))  # fmt: skip
    aad = f"clearhouse.vault.cvc.v1|{merchant.public_id}|{number.public_id}".encode()
    with pytest.raises(VaultDecryptionError):
        crypto.decrypt(envelope, aad=aad)
    # the first card's hold moved onto the second's record: read back as no CVC, never as another's
    CvcHold.objects.filter(vault_record_id=second.vault_record_id).delete()
    CvcHold.objects.filter(pk=first.vault_record_id).update(vault_record_id=second.vault_record_id)
    moved = PaymentMethod.objects.get(pk=second.pk)
    assert _detokenize(moved).cvc == ""


def test_release_deletes_the_hold_and_a_later_read_has_no_cvc(merchant):
    pm = _card(merchant)
    loaded = payment_method_for_payment(merchant=merchant, livemode=False, id=pm.public_id)
    assert _detokenize(loaded).cvc == CVC
    assert vault_services.vault_cvc_release(payment_method=loaded) is True
    assert not CvcHold.objects.exists()
    again = payment_method_for_payment(merchant=merchant, livemode=False, id=pm.public_id)
    assert _detokenize(again).cvc == ""
    assert vault_services.vault_cvc_release(payment_method=again) is False


def test_release_of_a_card_the_payment_join_showed_without_hold_sends_no_statement(
    merchant, django_assert_num_queries
):
    pm = _card(merchant, cvc=None)
    loaded = payment_method_for_payment(merchant=merchant, livemode=False, id=pm.public_id)
    with django_assert_num_queries(0):  # audited=True: the payment path wrote the audit entry ahead
        assert _detokenize(loaded, audited=True).cvc == ""
        assert vault_services.vault_cvc_release(payment_method=loaded) is False


def test_card_verification_neither_sees_nor_spends_the_held_cvc(merchant):
    pm = _card(merchant)
    assert _detokenize(pm, with_cvc=False).cvc == ""
    vault_services.payment_method_verify_card(payment_method=pm, actor=ACTOR)
    assert CvcHold.objects.filter(vault_record_id=pm.vault_record_id).exists()


def test_cardholder_data_repr_never_shows_the_cvc(merchant):
    card = _detokenize(_card(merchant))
    assert card.cvc == CVC and CVC not in repr(card)


def test_a_tokenization_never_confirmed_leaves_only_a_sealed_hold_that_the_sweeper_removes(merchant, caplog):
    """A crash (or a customer gone) between tokenization and confirm: what is left is the
    encrypted row, which reads as no CVC once expired and is deleted by the beat sweeper."""
    caplog.set_level(logging.DEBUG)
    abandoned = _card(merchant)
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        fresh = _card(merchant, number="5555555555554444")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ciphertext, encode(ciphertext, 'escape') FROM vault_cvchold")
        for raw, escaped in cursor.fetchall():
            assert CVC.encode() not in bytes(raw) and CVC not in escaped
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert _detokenize(PaymentMethod.objects.get(pk=abandoned.pk)).cvc == ""  # expired reads as none
        assert cvc_hold_purge_expired_task() == 1
        assert list(CvcHold.objects.values_list("vault_record_id", flat=True)) == [fresh.vault_record_id]
        assert cvc_hold_purge_expired_task() == 0  # idempotent
    with time_machine.travel(timezone.now() + timedelta(minutes=95)):
        assert cvc_hold_purge_expired_task() == 1
    assert not CvcHold.objects.exists()
    assert all(CVC not in record.getMessage() for record in caplog.records)


def test_unused_token_purge_takes_its_hold_with_its_record(publishable):
    token = publishable.post(
        "/v1/tokens",
        {"card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2035, "cvc": CVC}},
        format="json",
    )
    assert token.status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert vault_services.token_purge_expired() == 1
    assert not CvcHold.objects.exists() and not VaultRecord.objects.exists()


def test_a_test_clock_advance_past_the_hour_sweeps_that_clocks_holds_only(merchant):
    from apps.core.clock import ClockScope
    from apps.vault.services.cvc import cvc_hold_sweep_clock

    mine, other = _card(merchant), _card(merchant, number="5555555555554444", livemode=True)
    now = timezone.now()
    scope = ClockScope(clock="clock_test", merchant_id=merchant.pk, livemode=False,
                       created_from=now - timedelta(minutes=5), created_to=now + timedelta(minutes=5),
                       previous=now, now=now + timedelta(hours=2))  # fmt: skip
    assert cvc_hold_sweep_clock(scope.now, scope) == 1
    assert list(CvcHold.objects.values_list("vault_record_id", flat=True)) == [other.vault_record_id]
    assert mine.vault_record_id != other.vault_record_id
