"""Customers: create, update, soft delete (which detaches their payment methods)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.errors import NotFoundError
from apps.vault.errors import ParameterUnknown
from apps.vault.models import Customer, PaymentMethod
from apps.vault.payloads import customer_to_dict
from apps.webhooks.services import event_record

from .common import metadata_merge
from .lifecycle import payment_method_detach_locked

_CUSTOMER_FIELDS = ("email", "name", "phone", "description", "address", "metadata")


def _clean_address(address: dict | None) -> dict | None:
    if not address:
        return None
    return {k: v for k, v in address.items() if v not in (None, "")} or None


def customer_create(
    *,
    merchant,
    livemode: bool,
    actor: Actor,
    email: str = "",
    name: str = "",
    phone: str = "",
    description: str = "",
    address: dict | None = None,
    metadata: dict | None = None,
) -> Customer:
    with transaction.atomic():
        customer = Customer.objects.create(
            merchant=merchant,
            livemode=livemode,
            email=(email or "").strip().lower(),
            name=name or "",
            phone=phone or "",
            description=description or "",
            address=_clean_address(address),
            metadata=metadata or {},
        )
        data = customer_to_dict(customer)
        audit_record(actor=actor, action="customer.created", merchant=merchant, obj=customer, after=data)
        event_record(merchant=merchant, livemode=livemode, type="customer.created", data=data)
    return customer


def _customer_value(customer: Customer, key: str, value):
    """The value to store for one changed field, normalised as customer_create stores it."""
    if key == "email":
        return (value or "").strip().lower()
    if key == "address":
        return _clean_address(value)
    if key == "metadata":
        return metadata_merge(customer.metadata, value)
    return "" if value is None else value


def customer_update(*, customer: Customer, actor: Actor, changes: dict) -> Customer:
    unknown = set(changes) - set(_CUSTOMER_FIELDS)
    if unknown:
        raise ParameterUnknown(f"Unknown field {sorted(unknown)[0]}.")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.deleted_at is not None:
            raise NotFoundError("customer", customer.public_id, param="id")
        before = customer_to_dict(customer)
        previous: dict = {}
        for key, value in changes.items():
            value = _customer_value(customer, key, value)
            if getattr(customer, key) != value:
                previous[key] = before.get(key)
                setattr(customer, key, value)
        if previous:
            customer.save()
            data = customer_to_dict(customer)
            audit_record(
                actor=actor,
                action="customer.updated",
                merchant=customer.merchant,
                obj=customer,
                before=before,
                after=data,
            )
            event_record(
                merchant=customer.merchant,
                livemode=customer.livemode,
                type="customer.updated",
                data=data,
                previous_attributes=previous,
            )
    return customer


def customer_delete(*, customer: Customer, actor: Actor, reason: str = "") -> Customer:
    """Soft delete: the customer disappears from the API, its payment methods are detached."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.deleted_at is not None:
            raise NotFoundError("customer", customer.public_id, param="id")
        before = customer_to_dict(customer)
        methods = list(
            PaymentMethod.objects.select_for_update()
            .filter(customer=customer, deleted_at__isnull=True)
            .order_by("pk")
        )
        for pm in methods:
            payment_method_detach_locked(pm, actor=actor, reason="customer deleted")
        customer.deleted_at = timezone.now()
        customer.deleted_reason = reason or ""
        customer.save(update_fields=["deleted_at", "deleted_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="customer.deleted",
            merchant=customer.merchant,
            obj=customer,
            before=before,
            reason=reason,
        )
        event_record(
            merchant=customer.merchant, livemode=customer.livemode, type="customer.deleted", data=before
        )
    return customer
