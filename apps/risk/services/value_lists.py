"""Value lists and their items (Stripe's radar.value_list / radar.value_list_item)."""

from __future__ import annotations

import ipaddress
import re

from django.db import IntegrityError, transaction

from apps.audit.services import Actor, audit_record

from ..errors import ValueListAliasTaken, ValueListInUse, ValueListItemInvalid
from ..models import Rule, RuleSet, ValueList, ValueListItem
from ..rules import lists_of, parse

_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,99}$")


def value_list_create(*, merchant, livemode: bool, actor: Actor, alias: str, name: str, item_type: str = "string",
                      metadata: dict | None = None) -> ValueList:  # fmt: skip
    if not _ALIAS.match(alias or ""):
        raise ValueListItemInvalid(
            detail="The alias may hold letters, digits, '_' and '-', starting with a letter.", param="alias"
        )
    try:
        with transaction.atomic():
            value_list = ValueList.objects.create(
                merchant=merchant, livemode=livemode, alias=alias, name=name, item_type=item_type,
                created_by=actor.label, metadata=metadata or {},
            )  # fmt: skip
            audit_record(actor=actor, action="radar.value_list.created", merchant=merchant, obj=value_list,
                         after={"alias": alias, "item_type": item_type})  # fmt: skip
    except IntegrityError:
        raise ValueListAliasTaken(alias=alias) from None
    return value_list


def value_list_update(*, value_list: ValueList, actor: Actor, changes: dict) -> ValueList:
    if "alias" in changes and changes["alias"] != value_list.alias:
        _refuse_if_used(value_list)
        if not _ALIAS.match(changes["alias"] or ""):
            raise ValueListItemInvalid(detail="Invalid alias.", param="alias")
    before = {k: getattr(value_list, k) for k in changes}
    for key, value in changes.items():
        setattr(value_list, key, value)
    try:
        with transaction.atomic():
            value_list.save()
            audit_record(actor=actor, action="radar.value_list.updated", merchant=value_list.merchant,
                         obj=value_list, before=before, after=changes)  # fmt: skip
    except IntegrityError:
        raise ValueListAliasTaken(alias=changes.get("alias")) from None
    return value_list


def _rules_using(value_list: ValueList) -> list[str]:
    versions = list(
        RuleSet.objects.filter(merchant_id=value_list.merchant_id, livemode=value_list.livemode)
        .order_by("-version")
        .values_list("pk", "is_active")[:1]
    )
    active = RuleSet.objects.filter(
        merchant_id=value_list.merchant_id, livemode=value_list.livemode, is_active=True
    )
    pks = {pk for pk, _ in versions} | set(active.values_list("pk", flat=True))
    using = []
    for rule in Rule.objects.filter(rule_set_id__in=pks, predicate__contains="@" + value_list.alias):
        if value_list.alias in lists_of(parse(rule.predicate)):
            using.append(rule.rule_id)
    return sorted(set(using))


def _refuse_if_used(value_list: ValueList) -> None:
    using = _rules_using(value_list)
    if using:
        raise ValueListInUse(alias=value_list.alias, rules=", ".join(using))


def value_list_delete(*, value_list: ValueList, actor: Actor) -> None:
    with transaction.atomic():
        _refuse_if_used(value_list)
        audit_record(actor=actor, action="radar.value_list.deleted", merchant=value_list.merchant, obj=value_list,
                     before={"alias": value_list.alias})  # fmt: skip
        value_list.delete()


def normalize_item(item_type: str, value: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 800:
        raise ValueListItemInvalid(detail="The value must be 1 to 800 characters.")
    if item_type == ValueList.ItemType.EMAIL and not re.match(r"^[^@\s]+@[^@\s]+$", value):
        raise ValueListItemInvalid(detail=f"'{value}' is not an e-mail address.")
    if item_type == ValueList.ItemType.IP_ADDRESS:
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueListItemInvalid(detail=f"'{value}' is not an IP address.") from None
    if item_type == ValueList.ItemType.COUNTRY and not re.match(r"^[A-Za-z]{2}$", value):
        raise ValueListItemInvalid(detail="A country is a two-letter ISO code.")
    if item_type == ValueList.ItemType.CARD_BIN and not re.match(r"^[0-9]{6,8}$", value):
        raise ValueListItemInvalid(detail="A BIN is 6 to 8 digits.")
    if item_type == ValueList.ItemType.CUSTOMER_ID and not value.startswith("cus_"):
        raise ValueListItemInvalid(detail="A customer id starts with cus_.")
    return value if item_type == ValueList.ItemType.CASE_SENSITIVE_STRING else value.lower()


def value_list_item_create(*, value_list: ValueList, actor: Actor, value: str) -> ValueListItem:
    value = normalize_item(value_list.item_type, value)
    try:
        with transaction.atomic():
            item = ValueListItem.objects.create(
                merchant_id=value_list.merchant_id, livemode=value_list.livemode, value_list=value_list,
                value=value, created_by=actor.label,
            )  # fmt: skip
            audit_record(actor=actor, action="radar.value_list_item.created", merchant=value_list.merchant,
                         obj=item, after={"value_list": value_list.public_id})  # fmt: skip
    except IntegrityError:
        raise ValueListItemInvalid(detail=f"The list @{value_list.alias} already holds this value.") from None
    return item


def value_list_item_delete(*, item: ValueListItem, actor: Actor) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="radar.value_list_item.deleted", merchant=item.value_list.merchant,
                     obj=item, before={"value_list": item.value_list.public_id})  # fmt: skip
        item.delete()
