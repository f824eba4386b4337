"""Card tokens: client-side tokenization (publishable key) and the purge of unused ones.

A token becomes a payment method with `payment_method_create_from_token` (services/create.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.vault import cards
from apps.vault.models import Token, VaultRecord

from .common import card_columns
from .cvc import cvc_hold_store
from .records import vault_record_store


def token_create(
    *,
    merchant,
    livemode: bool,
    number: str,
    exp_month,
    exp_year,
    cvc: str | None,
    actor: Actor,
    billing_details: dict | None = None,
    client_ip: str | None = None,
    tokenization_method: str = "",
) -> Token:
    """Client-side tokenization (publishable key): a single-use `tok_…` valid for Token.TTL_SECONDS.
    ``tokenization_method`` (apple_pay | google_pay) marks a device wallet's token."""
    card = cards.validate_card(number, exp_month, exp_year, cvc)
    with transaction.atomic():
        record = vault_record_store(
            merchant=merchant, livemode=livemode, kind=VaultRecord.Kind.CARD, secret={"number": card.number}
        )
        if not tokenization_method:  # a device wallet's token pays with its own cryptogram
            cvc_hold_store(record=record, cvc=cvc, livemode=livemode)
        token = Token.objects.create(
            merchant=merchant,
            livemode=livemode,
            vault_record=record,
            **card_columns(card, merchant=merchant),
            billing_details=billing_details or {},
            client_ip=client_ip or None,
            expires_at=timezone.now() + timedelta(seconds=Token.TTL_SECONDS),
            tokenization_method=tokenization_method,
        )
        audit_record(
            actor=actor,
            action="token.created",
            merchant=merchant,
            obj=token,
            after={"brand": card.brand, "last4": card.last4},
        )
    return token


def token_purge_expired(*, grace_seconds: int = 3600, batch_size: int = 500) -> int:
    """Delete unused tokens expired for more than `grace_seconds`, with their vault records (a used
    token's record belongs to its payment method and stays). Idempotent; returns the count."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Token.objects.select_for_update(skip_locked=True)
                .filter(used_at__isnull=True, expires_at__lt=cutoff)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return purged
            record_ids = [t.vault_record_id for t in batch]
            Token.objects.filter(pk__in=[t.pk for t in batch]).delete()
            VaultRecord.objects.filter(
                pk__in=record_ids, payment_method__isnull=True, tokens__isnull=True
            ).delete()
            purged += len(batch)
