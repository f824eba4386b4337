"""The CVC hold: the security code given at tokenization, kept for the card's first authorization.

PCI DSS v4.0 req. 3.3.1 allows sensitive authentication data to be retained until authorization
completes, protected, and then rendered unrecoverable; Stripe likewise sends the CVC with the first
authorization only. So:

* ``cvc_hold_store`` (inside the tokenization's transaction, ``POST /v1/tokens``,
  ``/v1/payment_methods``): the CVC sealed in its own envelope into ``CvcHold``, bound to the
  card's vault record and merchant by associated data of its own purpose, expiring after
  ``CvcHold.TTL_SECONDS``. A token turned into a payment method keeps its vault record, so the
  hold follows it.
* ``cvc_hold_read`` (``vault_detokenize``): the CVC, if a live hold exists; no hold, an expired
  one or one that no longer decrypts (its key retired) reads as "" — the authorization then goes
  without a CVC, never fails for it.
* ``vault_cvc_release`` (the confirm path, once the attempt has an outcome — approved, declined,
  requires_action, unknown — and by failover's end): the row deleted. A later confirm, an
  off-session payment with the saved card, reads no CVC.
* Failover within one confirm (a retryable decline moving the attempt to the routing decision's
  next connector, ``apps/intents/services/failover.py``) reuses the held CVC: it is the same
  authorization, not yet complete, for the same payment and amount, so the release comes after
  the last attempt of that confirm (``run_authorization``), not after each provider call. A
  second confirm of the intent, a 3DS completion, a capture or a card verification (the sandbox
  acquirer's, ``with_cvc=False``) never sees it.
* ``cvc_hold_purge_expired`` (beat, ``vault.purge_expired_cvc_holds``): holds past their expiry,
  left by a tokenization never confirmed or a crash between the provider call and the release.

The CVC never reaches a column in the clear, an audit entry, an event, a log or a response: only
``CardData.cvc`` (repr hidden) holds it, in memory, for the provider call.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.clock import ClockScope
from apps.vault import crypto
from apps.vault.errors import VaultDecryptionError, VaultKeyError
from apps.vault.models import CvcHold, PaymentMethod, VaultRecord
from apps.vault.provider_tokens import provider_token_after_use

from .records import vault_record_read, vault_record_reseal

logger = logging.getLogger("clearhouse.vault")


def _aad(*, merchant_public_id: str, record_public_id: str) -> bytes:
    # Its own purpose: a number's envelope (clearhouse.vault.v1|…|card) never opens as a CVC, nor
    # a CVC's as a number, even copied between the two tables of the same record.
    return f"clearhouse.vault.cvc.v1|{merchant_public_id}|{record_public_id}".encode()


def cvc_hold_store(*, record: VaultRecord, cvc: object, livemode: bool) -> CvcHold | None:
    """Seal the (already validated) CVC for ``record`` in the caller's transaction; None when
    no CVC was given."""
    if cvc is None or cvc == "":
        return None
    value = str(cvc).strip()
    envelope = crypto.encrypt(
        value.encode(),
        aad=_aad(merchant_public_id=record.merchant.public_id, record_public_id=record.public_id),
        livemode=livemode,
    )
    now = timezone.now()
    return CvcHold.objects.create(
        vault_record=record,
        kek_version=envelope.kek_version,
        wrapped_key=envelope.wrapped_key,
        nonce=envelope.nonce,
        ciphertext=envelope.ciphertext,
        created_at=now,
        expires_at=now + timedelta(seconds=CvcHold.TTL_SECONDS),
    )


_UNKNOWN = object()


def _hold_of(record: VaultRecord):
    """The record's hold (None if none), from the join the payment path made when it did."""
    cached = record._state.fields_cache.get("cvc_hold", _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached
    hold = CvcHold.objects.filter(vault_record_id=record.pk).first()
    record._state.fields_cache["cvc_hold"] = hold
    return hold


def cvc_hold_read(record: VaultRecord) -> str:
    """The held CVC of ``record`` ("" when none is held, it expired or no longer decrypts).
    Only ``vault_detokenize`` calls it."""
    hold = _hold_of(record)
    if hold is None or hold.expires_at <= timezone.now():
        return ""
    envelope = crypto.Envelope(
        kek_version=hold.kek_version,
        wrapped_key=bytes(hold.wrapped_key),
        nonce=bytes(hold.nonce),
        ciphertext=bytes(hold.ciphertext),
    )
    aad = _aad(merchant_public_id=record.merchant.public_id, record_public_id=record.public_id)
    try:
        return crypto.decrypt(envelope, aad=aad).decode()
    except (VaultDecryptionError, VaultKeyError):
        logger.warning(
            "CVC hold of vault record %s does not decrypt; authorizing without it.", record.public_id
        )
        return ""


def vault_cvc_release(*, payment_method) -> bool:
    """Destroys the CVC held for ``payment_method``'s card, once its first authorization has an
    outcome. One DELETE, in its own autocommit statement; nothing when the payment path's join
    already showed no hold (or it has no vault record). True when a hold was deleted.

    A single-use provider token (a Square ``cnon:`` nonce, a Verifone.js encrypted card) is spent
    by that same authorization: it goes too (``_provider_token_spend``)."""
    record_id = getattr(payment_method, "vault_record_id", None)
    if record_id is None:
        return False
    if getattr(payment_method, "card_token_provider", "") and payment_method.card_token_consumed_at is None:
        _provider_token_spend(payment_method)
    record = payment_method._state.fields_cache.get("vault_record")
    if record is not None and record._state.fields_cache.get("cvc_hold", _UNKNOWN) is None:
        return False
    deleted, _ = CvcHold.objects.filter(vault_record_id=record_id).delete()
    if record is not None:
        record._state.fields_cache["cvc_hold"] = None
    return bool(deleted)


def _provider_token_spend(payment_method) -> None:
    """The record re-encrypted without the single-use token and the payment method marked
    consumed (a later confirm with it is refused naming ``payment_method``, never sent to the
    provider to be declined); a reusable token (``ccof:``, a Verifone reuse token) is kept."""
    with transaction.atomic(durable=True):
        record = (
            VaultRecord.objects.select_for_update()
            .select_related("merchant")
            .get(pk=payment_method.vault_record_id)
        )
        secret = vault_record_read(record)
        left = provider_token_after_use(dict(secret.get("provider_token") or {}))
        if left is None:
            return
        vault_record_reseal(record=record, secret={**secret, "provider_token": left})
        now = timezone.now()
        PaymentMethod.objects.filter(pk=payment_method.pk).update(card_token_consumed_at=now, updated_at=now)
        payment_method.card_token_consumed_at = now
        audit_record(
            actor=Actor.system("vault"), action="payment_method.token_consumed", merchant=record.merchant,
            obj=payment_method, after={"provider": left["provider"]},
        )  # fmt: skip
    cached = payment_method._state.fields_cache.get("vault_record")
    if cached is not None:
        for name in ("kek_version", "wrapped_key", "nonce", "ciphertext"):
            setattr(cached, name, getattr(record, name))


def cvc_hold_purge_expired(*, now=None, scope: ClockScope | None = None, batch_size: int = 1000) -> int:
    """Delete every hold past its expiry (the sweeper). Idempotent; returns the count.

    The beat runs it on wall-clock time over every hold: unlike other deadline jobs it does not
    leave the holds of test-clock objects alone (the expiry is a bound on keeping card data, not
    simulated time). A sandbox test clock's advance also runs it, for that clock's cards only, at
    the clock's time (``scope``), so an advance past the hour shows the hold gone."""
    now = scope.now if scope is not None else (now or timezone.now())
    purged = 0
    while True:
        with transaction.atomic():
            due = CvcHold.objects.filter(expires_at__lte=now)
            if scope is not None:
                due = scope.filter(due, prefix="vault_record__")
            ids = list(
                due.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return purged
            CvcHold.objects.filter(pk__in=ids).delete()
            purged += len(ids)


def cvc_hold_sweep_clock(now, scope: ClockScope) -> int:
    """The sweeper for a sandbox test clock's advance (apps.core.clock)."""
    return cvc_hold_purge_expired(now=now, scope=scope)
