from django.db.models import Q, QuerySet

from apps.core.errors import NotFoundError

from .models import Charge, ChargeReference, PaymentIntent, UnresolvedAttempt

INTENT_RELATED = ("customer", "payment_method", "latest_charge")


def payment_intent_get(*, merchant, livemode: bool, id: str) -> PaymentIntent:
    intent = (
        PaymentIntent.objects.select_related(*INTENT_RELATED)
        .filter(merchant=merchant, livemode=livemode, public_id=id)
        .first()
    )
    if intent is None:
        raise NotFoundError("payment_intent", id)
    return intent


def payment_intent_list(*, merchant, livemode: bool, filters: dict | None = None) -> QuerySet[PaymentIntent]:
    """filters: customer (public id), status, order_id (metadata[order_id])."""
    filters = filters or {}
    qs = PaymentIntent.objects.select_related(*INTENT_RELATED).filter(merchant=merchant, livemode=livemode)
    if filters.get("customer"):
        qs = qs.filter(customer__public_id=filters["customer"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("order_id") is not None:
        qs = qs.filter(order_id=filters["order_id"])
    return qs


def charge_get(*, merchant, livemode: bool, id: str) -> Charge:
    charge = (
        Charge.objects.select_related("payment_intent", "connector", "payment_method")
        .filter(merchant=merchant, livemode=livemode, public_id=id)
        .first()
    )
    if charge is None:
        raise NotFoundError("charge", id)
    return charge


def charge_list(*, merchant, livemode: bool, payment_intent: PaymentIntent | None = None) -> QuerySet[Charge]:
    qs = Charge.objects.select_related("payment_intent", "connector", "payment_method").filter(
        merchant=merchant, livemode=livemode
    )
    if payment_intent is not None:
        qs = qs.filter(payment_intent=payment_intent)
    return qs


def charge_get_by_action_reference(reference: str) -> Charge | None:
    """For the sandbox ACS / wallet pages: the attempt waiting on this (unguessable) reference."""
    if not reference:
        return None
    return (
        Charge.objects.select_related("payment_intent", "merchant")
        .filter(action_reference=reference)
        .order_by("-id")
        .first()
    )


def charge_gateway_reference_q(reference: str) -> Q:
    """The condition "the charge's provider reference is ``reference``", for a Charge queryset:
    the charge ids come from intents_chargereference's primary key (the column itself carries no
    index, issue 21) and the charge must still carry that reference. Never matches an empty
    reference (a charge whose provider has not answered yet carries none)."""
    if not reference:
        return Q(pk__in=[])
    ids = ChargeReference.objects.filter(gateway_reference=reference).values("charge_id")
    return Q(gateway_reference=reference, pk__in=ids)


def charges_by_gateway_reference(reference: str) -> QuerySet[Charge]:
    """The charges whose provider reference is ``reference`` (a webhook, a notification, a
    dispute, a customer's return, back-office search). Every lookup of a charge by its
    gateway_reference goes through here; callers narrow it (connector, ``order_by("-id")``)."""
    return Charge.objects.filter(charge_gateway_reference_q(reference))


def charges_unresolved() -> QuerySet[Charge]:
    """The attempts without a final answer (``submitting`` / ``unknown`` / ``pending``), found
    through intents_unresolvedattempt (a row per such charge; status carries no index, issue 21).
    Callers narrow it (age, merchant)."""
    return Charge.objects.filter(
        pk__in=UnresolvedAttempt.objects.values("charge_id"), status__in=UnresolvedAttempt.STATUSES
    )


def charge_customer_return_url(connector_id: int, gateway_reference: str) -> str | None:
    """Where the customer continues after a provider's hosted page: the payment's ``return_url``
    with Stripe's query parameters (``payment_intent``, ``payment_intent_client_secret``,
    ``redirect_status`` succeeded | processing | failed)."""
    from urllib.parse import urlencode, urlsplit, urlunsplit

    charge = (
        charges_by_gateway_reference(gateway_reference)
        .select_related("payment_intent")
        .filter(connector_id=connector_id)
        .order_by("-id")
        .first()
    )
    if charge is None and gateway_reference.startswith(f"{Charge.ID_PREFIX}_"):
        # a return that names our charge (Adyen's: its redirectResult is opaque)
        charge = (
            Charge.objects.select_related("payment_intent")
            .filter(connector_id=connector_id, public_id=gateway_reference)
            .first()
        )
    if charge is None or not charge.payment_intent.return_url:
        return None
    intent = charge.payment_intent
    status = {"succeeded": "succeeded", "requires_capture": "succeeded", "processing": "processing"}.get(
        intent.status, "failed"
    )
    parts = urlsplit(intent.return_url)
    query = "&".join(
        q for q in (parts.query, urlencode({"payment_intent": intent.public_id,
                                             "payment_intent_client_secret": intent.client_secret,
                                             "redirect_status": status})) if q
    )  # fmt: skip
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def charge_gateway_reference_by_key(connector_id: int, key: str) -> str | None:
    """The provider reference of the attempt sent to this connector with our key ``key``
    (``Charge.provider_key``: ``ch_…:authorize``), None when there is none or it has none yet."""
    public_id, _, operation = str(key).partition(":")
    if operation != "authorize" or not public_id.startswith("ch_"):
        return None
    found = (
        Charge.objects.filter(connector_id=connector_id, public_id=public_id)
        .values_list("gateway_reference", flat=True)
        .first()
    )
    return found or None


# --- figures for the back-office dashboard (apps.reporting) ----------------------------------
# `filters` scope the rows (created_at range, merchant_id, livemode); `group_by` lists columns to
# group by (empty: one row of totals). One aggregate query each.


def payment_intent_succeeded_totals(*, filters: dict, group_by: list[str]) -> list[dict]:
    """Succeeded payments: rows of *group_by, currency, count, amount (amount received)."""
    from django.db.models import Count, Sum

    return list(
        PaymentIntent.objects.filter(status=PaymentIntent.Status.SUCCEEDED, **filters)
        .order_by()
        .values(*group_by, "currency")
        .annotate(count=Count("id"), amount=Sum("amount_received"))
    )


CHARGE_AUTHORIZED_STATUSES = (Charge.Status.AUTHORIZED, Charge.Status.SUCCEEDED, Charge.Status.CANCELED)


def charge_attempt_totals(*, filters: dict, group_by: list[str]) -> list[dict]:
    """Finished attempts (authorized or failed) and authorized ones: rows of *group_by, attempts, authorized."""
    from django.db.models import Count, Q

    qs = Charge.objects.filter(**filters).order_by()
    totals = {
        "attempts": Count("id", filter=Q(status__in=[*CHARGE_AUTHORIZED_STATUSES, Charge.Status.FAILED])),
        "authorized": Count("id", filter=Q(status__in=CHARGE_AUTHORIZED_STATUSES)),
    }
    if group_by:
        return list(qs.values(*group_by).annotate(**totals))
    return [qs.aggregate(**totals)]


def charge_attempt_daily_totals(*, filters: dict, tz) -> list[dict]:
    """Finished and authorized attempts per calendar day of `tz`: rows of day, attempts, authorized.
    One GROUP BY on the created_at range (indexed); the day is PostgreSQL's date in `tz`."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncDate

    return list(
        Charge.objects.filter(**filters)
        .order_by()
        .values(day=TruncDate("created_at", tzinfo=tz))
        .annotate(
            attempts=Count("id", filter=Q(status__in=[*CHARGE_AUTHORIZED_STATUSES, Charge.Status.FAILED])),
            authorized=Count("id", filter=Q(status__in=CHARGE_AUTHORIZED_STATUSES)),
        )
    )


def charge_decline_totals(*, filters: dict, group_by: list[str]) -> list[dict]:
    """Failed attempts by decline code: rows of *group_by, reason ("" when the network gave none), count."""
    from django.db.models import Count, F

    return list(
        Charge.objects.filter(status=Charge.Status.FAILED, **filters)
        .order_by()
        .values(*group_by, reason=F("decline_code"))
        .annotate(count=Count("id"))
    )
