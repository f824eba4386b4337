"""Reads for operators and compliance: subsystem health (`/ready`'s extra reports), diagnostics
(`GET /v1/diagnostics` and the staff page) and PCI attestation facts (`GET /v1/pci/attestation`).
Nothing here writes, and nothing returns card data or a secret: counts, ages, versions, states."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.connectors import gateway
from apps.connectors.models import Connector
from apps.core.models import SchedulerHeartbeat
from apps.intents.models import Charge, PaymentIntent
from apps.intents.selectors import charges_unresolved
from apps.payouts.models import Payout
from apps.refunds.models import Refund
from apps.vault.crypto import get_keyring
from apps.vault.models import CvcHold, PaymentMethod, VaultRecord
from apps.webhooks.models import Delivery

from .models import AccessReview

logger = logging.getLogger("clearhouse.ops")

BEAT_STALE_AFTER = dt.timedelta(seconds=60)
DORMANT_AFTER = dt.timedelta(days=90)
_TERMINAL_INTENT = (PaymentIntent.Status.SUCCEEDED, PaymentIntent.Status.CANCELED)
_JANITOR_TASKS = ("janitor", "recheck", "sweep")
_READY_CACHE_KEY = "clearhouse:ready:connectors"


def _age(moment, now) -> int | None:
    return int((now - moment).total_seconds()) if moment else None


def _unix(moment) -> int | None:
    return int(moment.timestamp()) if moment else None


# --- scheduler, broker -----------------------------------------------------------------------


def beat_heartbeat(now=None) -> dict:
    now = now or timezone.now()
    row = SchedulerHeartbeat.objects.filter(name="beat").first()
    if row is None:
        return {"state": "missing", "last_run_at": None, "age_seconds": None}
    age = now - row.last_run_at
    return {
        "state": "ok" if age <= BEAT_STALE_AFTER else "stale",
        "last_run_at": _unix(row.last_run_at),
        "age_seconds": int(age.total_seconds()),
    }


def queue_depth() -> dict:
    """Messages waiting on the default queue, asked of the broker (any kombu transport)."""
    from config.celery import app

    queue = app.conf.task_default_queue
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            declared = conn.default_channel.queue_declare(queue=queue, passive=True)
            return {"queue": queue, "messages": int(declared.message_count)}
    except Exception as exc:  # the broker being down is a fact to report, not an error here
        return {"queue": queue, "messages": None, "error": type(exc).__name__}


def periodic_tasks_last_run() -> dict[str, int | None]:
    """When beat last ran each janitor-like schedule (django-celery-beat keeps `last_run_at`)."""
    from django_celery_beat.models import PeriodicTask

    rows = PeriodicTask.objects.filter(
        Q(*[Q(task__icontains=word) for word in _JANITOR_TASKS], _connector=Q.OR)
    ).values_list("name", "last_run_at")
    return {name: _unix(last) for name, last in rows}


# --- connectors ------------------------------------------------------------------------------


def connectors_health(*, merchant=None) -> list[dict]:
    """Each active connector's health check (the sandbox answers from its own store; a real
    adapter's check is one cheap provider call). Shown, never failing readiness."""
    qs = Connector.objects.filter(status=Connector.Status.ACTIVE)
    if merchant is not None:
        qs = qs.filter(merchant=merchant)
    out = []
    for connector in qs.order_by("id")[:50]:
        status = gateway.health(connector=connector)
        out.append(
            {
                "connector": connector.public_id,
                "code": connector.code,
                "livemode": connector.livemode,
                "ok": status.ok,
                "latency_ms": status.latency_ms,
                "detail": status.detail[:200],
            }
        )
    return out


def connector_health_report() -> dict:
    """`/ready`'s connector report: one health check per adapter code (on its most recently
    created active connector), cached 30 s so a probe every few seconds never fans out to
    every merchant's connector."""
    cached = cache.get(_READY_CACHE_KEY)
    if cached is not None:
        return cached
    latest = (
        Connector.objects.filter(status=Connector.Status.ACTIVE)
        .values("code")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    report = {}
    for connector in Connector.objects.filter(pk__in=list(latest)[:20]).order_by("code"):
        status = gateway.health(connector=connector)
        report[connector.code] = {"ok": status.ok, "latency_ms": status.latency_ms}
    cache.set(_READY_CACHE_KEY, report, timeout=30)
    return report


def _latencies(charges) -> dict[str, dict]:
    """p50/p95 per connector of an attempt's time from creation to the provider's answer
    (authorized or failed), over the last day's most recent 5,000 attempts."""
    rows = (
        charges.annotate(answered=Coalesce("authorized_at", "failed_at"))
        .exclude(answered=None)
        .values_list("connector__code", "created_at", "answered")
        .order_by("-id")[:5000]
    )
    by_code: dict[str, list[int]] = {}
    for code, created, answered in rows:
        by_code.setdefault(code or "", []).append(max(int((answered - created).total_seconds() * 1000), 0))
    out = {}
    for code, values in by_code.items():
        values.sort()
        out[code] = {
            "p50_ms": values[len(values) // 2],
            "p95_ms": values[min(len(values) - 1, int(len(values) * 0.95))],
            "samples": len(values),
        }
    return out


# --- diagnostics -----------------------------------------------------------------------------


def diagnostics(*, merchant=None, livemode: bool | None = None) -> dict:
    """The state of the money flows. With a merchant: that merchant's rows in that mode only
    (the scheduler, broker and queue facts are the platform's and shown to all)."""
    now = timezone.now()
    scope = {}
    if merchant is not None:
        scope = {"merchant": merchant, "livemode": livemode}

    intents = PaymentIntent.objects.filter(**scope).exclude(status__in=_TERMINAL_INTENT)
    in_flight = [
        {"status": row["status"], "count": row["n"], "oldest_age_seconds": _age(row["oldest"], now)}
        for row in intents.values("status")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by("status")
    ]
    stuck = charges_unresolved().filter(**scope, status__in=[Charge.Status.SUBMITTING, Charge.Status.UNKNOWN])
    stuck_rows = stuck.aggregate(n=Count("id"), oldest=Min("updated_at"))
    day = Charge.objects.filter(**scope, created_at__gte=now - dt.timedelta(days=1))
    failed = {
        row["connector__code"]: row["n"]
        for row in day.filter(status=Charge.Status.FAILED).values("connector__code").annotate(n=Count("id"))
    }
    refunds = Refund.objects.filter(
        **scope,
        status__in=[Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION, Refund.Status.REQUIRES_APPROVAL],
    )
    payouts = Payout.objects.filter(**scope, status__in=[Payout.Status.PENDING, Payout.Status.IN_TRANSIT])
    delivery_scope = {"endpoint__merchant": merchant, "endpoint__livemode": livemode} if merchant else {}
    backlog = Delivery.objects.filter(**delivery_scope, status=Delivery.Status.PENDING)
    oldest = backlog.order_by("event__created_at").values("event__public_id", "event__created_at").first()
    return {
        "object": "diagnostics",
        "generated_at": _unix(now),
        "payment_intents_in_flight": in_flight,
        "attempts_unresolved": {
            "count": stuck_rows["n"],
            "oldest_age_seconds": _age(stuck_rows["oldest"], now),
            "janitor_last_run": periodic_tasks_last_run(),
        },
        "failed_attempts_last_24h_by_connector": failed,
        "connector_latency_last_24h": _latencies(day),
        "connectors": connectors_health(merchant=merchant) if merchant is not None else [],
        "refunds_queued": {
            row["status"]: row["n"] for row in refunds.values("status").annotate(n=Count("id"))
        },
        "payouts_queued": {
            row["status"]: row["n"] for row in payouts.values("status").annotate(n=Count("id"))
        },
        "webhooks": {
            "undelivered": backlog.count(),
            "oldest_undelivered_event": oldest["event__public_id"] if oldest else None,
            "oldest_undelivered_age_seconds": _age(oldest["event__created_at"], now) if oldest else None,
        },
        "celery": {"queue": queue_depth(), "beat": beat_heartbeat(now)},
    }


# --- PCI attestation -------------------------------------------------------------------------


def staff_facts(now=None) -> dict:
    """Counts about staff accounts (never names): the inputs of an access review."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    now = now or timezone.now()
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    with_2fa = TOTPDevice.objects.filter(user__in=staff, confirmed=True).values("user").distinct().count()
    dormant = staff.filter(Q(last_login__lt=now - DORMANT_AFTER) | Q(last_login=None)).count()
    return {
        "active_staff": staff.count(),
        "superusers": staff.filter(is_superuser=True).count(),
        "with_confirmed_2fa_device": with_2fa,
        "dormant_over_90_days": dormant,
    }


def pci_attestation(*, merchant, livemode: bool) -> dict:
    keyring = get_keyring()
    in_use = {
        row["kek_version"]: row["n"]
        for row in VaultRecord.objects.filter(merchant=merchant, livemode=livemode)
        .values("kek_version")
        .annotate(n=Count("id"))
    }
    last_rotation = _last_rotation()
    review = AccessReview.objects.order_by("-reviewed_at").first()
    return {
        "object": "pci.attestation",
        "merchant": merchant.public_id,
        "livemode": livemode,
        "generated_at": _unix(timezone.now()),
        "card_data": {
            "stored": "Primary account numbers only in the vault, encrypted at once on tokenization.",
            "returned": False,
            "kept_on_payment_methods": [
                "brand",
                "last4",
                "exp_month",
                "exp_year",
                "funding",
                "country",
                "fingerprint",
            ],
            # Not stored after authorization: held sealed (own data key and purpose) for the card's
            # first authorization only, then deleted (apps.vault.models.CvcHold; PCI DSS v4.0 3.3.1).
            "cvc_stored": False,
            "cvc_held_until_first_authorization": True,
            "cvc_hold_max_seconds": CvcHold.TTL_SECONDS,
            "cvc_holds_open": CvcHold.objects.filter(
                vault_record__merchant=merchant, vault_record__livemode=livemode
            ).count(),
            "payment_methods": PaymentMethod.objects.filter(merchant=merchant, livemode=livemode).count(),
        },
        "vault": {
            "scheme": "envelope: AES-256-GCM per record under a random data key, wrapped with AES key wrap "
            "(RFC 3394) under a versioned key-encryption key from VAULT_KEYS (not SECRET_KEY)",
            "active_key_version": keyring.active_version,
            "configured_key_versions": keyring.versions,
            "key_versions_in_use": in_use,
            "records": sum(in_use.values()),
            "last_rotation": last_rotation,
        },
        "fingerprint": {
            "scheme": "HMAC-SHA256 keyed with VAULT_FINGERPRINT_KEY, scoped per merchant, 80 bits"
        },
        "audit": {
            "append_only": True,
            "retention": "indefinite: audit entries are never updated or deleted (database triggers), "
            "exported for compliance from the back office",
        },
        "staff": {
            "mfa_enforced": bool(settings.ADMIN_2FA_REQUIRED),
            "mfa_method": "TOTP (django-otp) on the admin login",
            **staff_facts(),
            "last_access_review": {
                "reviewed_at": _unix(review.reviewed_at),
                "reviewed_by": review.reviewer_label,
                "snapshot": review.snapshot,
            }
            if review
            else None,
        },
    }


def _last_rotation() -> dict | None:
    from apps.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(action="vault.keys_rotated").order_by("-id").first()
    if entry is None:
        return None
    after = entry.after or {}
    return {
        "at": _unix(entry.created_at),
        "target_version": after.get("target"),
        "remaining": after.get("remaining"),
    }
