import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, audit_record
from apps.core.currencies import CURRENCIES
from apps.core.errors import (
    InvalidRequestError,
    NotFoundError,
    ParameterInvalid,
    ParameterMissing,
    ParameterUnknown,
    PreconditionFailed,
)
from apps.core.limits import BIGINT_MAX

from .errors import ApiKeyAlreadyRevoked
from .models import DEFAULT_PAYMENT_METHOD_TYPES, ApiKey, Merchant, MerchantSettings

KEY_PREFIX = {ApiKey.Kind.SECRET: "sk", ApiKey.Kind.PUBLISHABLE: "pk", ApiKey.Kind.RESTRICTED: "rk"}
PREFIX_KIND = {v: k for k, v in KEY_PREFIX.items()}

SCOPE_RESOURCES = (
    "customers",
    "payment_methods",
    "tokens",
    "payment_intents",
    "charges",
    "refunds",
    "disputes",
    "settlements",
    "files",
    "balance",
    "balance_transactions",
    "payouts",
    "bank_accounts",
    "events",
    "webhook_endpoints",
    "api_keys",
    "settings",
    "connectors",
    "reporting",
    "risk",
    "test_helpers",
    "diagnostics",
    "pci",
)

SETTINGS_FIELDS = (
    "allowed_payment_method_types",
    "default_capture_method",
    "max_authorization_amount",
    "three_ds_policy",
    "dispute_retention_days",
    "refund_approval_threshold",
    "payout_approval_threshold",
    "refund_approval_thresholds",
    "payout_approval_thresholds",
    "settlement_delay_days",
    "require_redisplay_consent",
)


PER_CURRENCY_FIELDS = ("refund_approval_thresholds", "payout_approval_thresholds")


def _merged_thresholds(field: str, current: dict, given: dict | None) -> dict:
    """`given` is {currency: minor units, or None to drop that currency's own threshold (it then
    falls back to the single legacy one)}; None as a whole drops every currency's own threshold."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise ParameterInvalid(f"Pass {field}[<currency>]=<amount in minor units>.", param=field)
    merged = dict(current or {})
    for code, amount in given.items():
        currency = str(code).upper()
        if currency not in CURRENCIES:
            raise ParameterInvalid(f"Invalid currency: {str(code)[:8]}.", param=f"{field}[{str(code)[:8]}]")
        if amount is None:
            merged.pop(currency, None)
            continue
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0 or amount > BIGINT_MAX:
            raise ParameterInvalid(
                "A threshold is a non-negative integer in the currency's smallest unit.",
                param=f"{field}[{code}]",
            )
        merged[currency] = amount
    return dict(sorted(merged.items()))


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def merchant_create(
    *,
    name: str,
    country: str = "US",
    default_currency: str = "USD",
    settlement_currency: str | None = None,
    actor: Actor | None = None,
) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.create(
            name=name,
            country=country.upper(),
            default_currency=default_currency.upper(),
            settlement_currency=(settlement_currency or default_currency).upper(),
        )
        MerchantSettings.objects.create(
            merchant=merchant, allowed_payment_method_types=list(DEFAULT_PAYMENT_METHOD_TYPES)
        )
        audit_record(
            actor=actor or Actor.system("merchants"),
            action="merchant.created",
            merchant=merchant,
            obj=merchant,
            after={"name": name, "country": merchant.country},
        )
    return merchant


MERCHANT_EDITABLE_FIELDS = ("name", "country", "default_currency", "settlement_currency", "support_email")


def merchant_update(*, merchant_id: int, changes: dict, actor: Actor) -> Merchant:
    """A staff edit of the merchant's own fields (the back office's merchant page), audited with
    what it was and what it became. Status changes go through ``merchant_set_status``."""
    unknown = sorted(set(changes) - set(MERCHANT_EDITABLE_FIELDS))
    if unknown:
        raise ParameterUnknown(name=unknown[0], param=unknown[0])
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        changes = {f: (v.upper() if f != "name" and f != "support_email" else v) for f, v in changes.items()}
        changes = {f: v for f, v in changes.items() if getattr(merchant, f) != v}
        if not changes:
            return merchant
        before = {f: getattr(merchant, f) for f in changes}
        for field, value in changes.items():
            setattr(merchant, field, value)
        merchant.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action="merchant.updated", merchant=merchant, obj=merchant,
                     before=before, after=changes)  # fmt: skip
    return merchant


def merchant_set_status(*, merchant_id: int, status: str, actor: Actor, reason: str) -> Merchant:
    if status not in Merchant.Status.values:
        raise InvalidRequestError(f"Unknown status {status!r}.", param="status")
    if not reason:
        raise ParameterMissing("A reason is required.", param="reason")
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        before = merchant.status
        merchant.status = status
        merchant.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=f"merchant.{status}",
            merchant=merchant,
            obj=merchant,
            before={"status": before},
            after={"status": status},
            reason=reason,
        )
    return merchant


def _validate_scopes(scopes) -> list[str]:
    if not isinstance(scopes, list) or not scopes:
        raise ParameterMissing(
            "Restricted keys need at least one scope such as 'payment_intents:read'.", param="scopes"
        )
    clean = []
    for scope in scopes:
        resource, _, access = str(scope).partition(":")
        if resource not in SCOPE_RESOURCES or access not in ("read", "write"):
            raise ParameterInvalid(
                f"Invalid scope {scope!r}: use '<resource>:read' or '<resource>:write' with a resource among "
                f"{', '.join(SCOPE_RESOURCES)}.",
                param="scopes",
            )
        clean.append(f"{resource}:{access}")
    return sorted(set(clean))


def api_key_create(
    *,
    merchant: Merchant,
    kind: str,
    livemode: bool,
    actor: Actor,
    name: str = "",
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Creates a key and returns it with its plaintext, which is never stored nor shown again.
    `secret` fixes the random part (the demo loader uses it so its printed keys stay valid)."""
    if kind not in ApiKey.Kind.values:
        raise InvalidRequestError(f"Unknown key type {kind!r}.", param="type")
    if kind == ApiKey.Kind.RESTRICTED:
        scopes = _validate_scopes(scopes)
    elif scopes:
        raise ParameterUnknown("Only restricted keys take scopes.", param="scopes")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidRequestError("expires_at must be in the future.", param="expires_at")
    body = secret or secrets.token_urlsafe(33).replace("-", "x").replace("_", "y")[:44]
    if len(body) < 44:
        raise InvalidRequestError("Key material too short.", param="secret")
    mode = "live" if livemode else "test"
    plaintext = f"{KEY_PREFIX[kind]}_{mode}_{body}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            merchant=merchant,
            livemode=livemode,
            kind=kind,
            name=name,
            lookup=body[:12],
            hashed_key=hash_key(plaintext),
            display_prefix=plaintext[:16],
            scopes=scopes or [],
            expires_at=expires_at,
            created_by=actor.label,
        )
        audit_record(
            actor=actor,
            action="api_key.created",
            merchant=merchant,
            obj=key,
            after={
                "kind": kind,
                "livemode": livemode,
                "name": name,
                "scopes": scopes or [],
                "prefix": key.display_prefix,
            },
        )
    return key, plaintext


def api_key_revoke(*, merchant: Merchant, key_id: str, actor: Actor, reason: str = "") -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(merchant=merchant, public_id=key_id).first()
        if key is None:
            raise NotFoundError("api_key", key_id)
        if key.revoked_at:
            raise ApiKeyAlreadyRevoked()
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action="api_key.revoked",
            merchant=merchant,
            obj=key,
            before={"revoked": False},
            after={"revoked": True},
            reason=reason,
        )
    return key


def merchant_settings_update(
    *, merchant: Merchant, changes: dict, actor: Actor, expected_version: int | None = None
) -> MerchantSettings:
    """Optimistic concurrency: with `expected_version` (from If-Match) a stale write is refused."""
    with transaction.atomic():
        current = MerchantSettings.objects.select_for_update().get(merchant=merchant)
        if expected_version is not None and current.version != expected_version:
            raise PreconditionFailed(
                "The settings changed since you read them (ETag mismatch). Fetch them again and retry."
            )
        before = {f: getattr(current, f) for f in changes}
        changes = dict(changes)
        for field, value in changes.items():
            if field not in SETTINGS_FIELDS:
                raise ParameterUnknown(name=field, param=field)
            if field in PER_CURRENCY_FIELDS:
                value = changes[field] = _merged_thresholds(field, getattr(current, field), value)
            setattr(current, field, value)
        current.version += 1
        current.save()
        audit_record(
            actor=actor,
            action="merchant_settings.updated",
            merchant=merchant,
            obj=current,
            object_id=merchant.public_id,
            before=before,
            after=changes,
        )
    return current
