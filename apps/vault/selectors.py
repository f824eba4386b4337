"""Tenant-scoped reads of the vault: every API and admin query goes through here.

Another merchant's object (or the other mode's) answers NotFoundError, never data.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from apps.core.errors import NotFoundError
from apps.core.sql import hot_sql_enabled
from apps.vault.models import Customer, PaymentMethod, Token
from apps.vault.sql import payment_method_for_payment_row


def _default_pm_subquery():
    return Subquery(
        PaymentMethod.objects.filter(
            customer=OuterRef("pk"), is_default=True, deleted_at__isnull=True
        ).values("public_id")[:1]
    )


def customer_get(
    *,
    merchant,
    livemode: bool,
    id: str,
    param: str = "customer",
    include_deleted: bool = False,
) -> Customer:
    customer = (
        Customer.objects.filter(merchant=merchant, livemode=livemode, public_id=id)
        .annotate(default_payment_method_id=_default_pm_subquery())
        .first()
        if isinstance(id, str)
        else None
    )
    if customer is None or (customer.deleted_at is not None and not include_deleted):
        raise NotFoundError("customer", str(id), param=param)
    return customer


def customer_list(*, merchant, livemode: bool, email: str | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.filter(merchant=merchant, livemode=livemode, deleted_at__isnull=True).annotate(
        default_payment_method_id=_default_pm_subquery()
    )
    if email is not None:
        qs = qs.filter(email=email.strip().lower())
    return qs


def customer_find_by_email(*, merchant, livemode: bool, email: str) -> QuerySet[Customer]:
    """Several customers may share an email (as on Stripe): newest first."""
    return customer_list(merchant=merchant, livemode=livemode, email=email).order_by("-public_id")


def payment_method_get(
    *,
    merchant,
    livemode: bool,
    id: str,
    param: str = "payment_method",
    include_deleted: bool = False,
) -> PaymentMethod:
    """A deleted payment method answers NotFoundError unless `include_deleted` (history screens)."""
    pm = (
        PaymentMethod.objects.select_related("customer", "merchant", "microdeposits")
        .filter(merchant=merchant, livemode=livemode, public_id=id)
        .first()
        if isinstance(id, str)
        else None
    )
    if pm is None or (pm.deleted_at is not None and not include_deleted):
        raise NotFoundError("payment_method", str(id), param=param)
    return pm


def payment_method_for_payment(
    *, merchant, livemode: bool, id: str, param: str = "payment_method"
) -> PaymentMethod:
    """`payment_method_get` for the payment path: the vault record comes in the same query (the
    connector call detokenizes right after), with its CVC hold if one is held (the first
    authorization sends it, then releases it), and the caller's merchant object is reused.
    PostgreSQL: one statement without the ORM's compiler (``apps.vault.sql``)."""
    if not isinstance(id, str):
        pm = None
    elif hot_sql_enabled():
        pm = payment_method_for_payment_row(merchant_id=merchant.pk, livemode=livemode, public_id=id)
    else:
        pm = (
            PaymentMethod.objects.select_related("customer", "vault_record", "vault_record__cvc_hold")
            .filter(merchant=merchant, livemode=livemode, public_id=id, deleted_at__isnull=True)
            .first()
        )
    if pm is None:
        raise NotFoundError("payment_method", str(id), param=param)
    pm.merchant = merchant
    return pm


def payment_method_list(
    *,
    merchant,
    livemode: bool,
    customer: Customer | None = None,
    type: str | None = None,
) -> QuerySet[PaymentMethod]:
    qs = PaymentMethod.objects.select_related("customer", "microdeposits").filter(
        merchant=merchant, livemode=livemode, deleted_at__isnull=True
    )
    if customer is not None:
        qs = qs.filter(customer=customer)
    if type:
        qs = qs.filter(type=type)
    return qs


def token_get(*, merchant, livemode: bool, id: str, param: str = "token") -> Token:
    token = (
        Token.objects.filter(merchant=merchant, livemode=livemode, public_id=id).first()
        if isinstance(id, str)
        else None
    )
    if token is None:
        raise NotFoundError("token", str(id), param=param)
    return token
